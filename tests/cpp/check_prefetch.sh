#!/bin/sh
# Checks that the optimized library still holds the software prefetches its key lookups
# are written around. GCC 12 at -O2 silently deleted the integer key dictionary's
# __builtin_prefetch (detail/prefetch.hpp says why): the loops ran, correct but slower by
# 13% on sparse ids, and no other test could notice. Usage: check_prefetch.sh OBJDUMP LIBRARY
set -eu
objdump=$1
library=$2
"$objdump" -d --no-show-raw-insn -C "$library" | awk '
  /^[0-9a-f]+ <.*>:$/ { fn = $0; next }
  /prefetch/ {
    # A loop left in a lambda of its own is named after the function that holds it.
    if (fn ~ /key_lookup::find\(/) find++
    if (fn ~ /key_lookup::insert_missing\(/) insert++
    if (fn ~ /key_encoder::encode\(/) encode++
  }
  END {
    bad = 0
    # find: string keys (2 sites) and hashed integer keys (2 sites per integer width);
    # insert_missing and encode: hashed integer keys.
    if (find < 4) { print "key_lookup::find has " find + 0 " prefetch instructions, expected at least 4"; bad = 1 }
    if (insert < 2) { print "key_lookup::insert_missing has " insert + 0 " prefetch instructions, expected at least 2"; bad = 1 }
    if (encode < 2) { print "key_encoder::encode has " encode + 0 " prefetch instructions, expected at least 2"; bad = 1 }
    if (!bad) print "prefetches kept: find " find ", insert_missing " insert ", encode " encode
    exit bad
  }'
