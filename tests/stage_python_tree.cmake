# Stages the package for the pytest suite of a build with the extension: the Python files of
# python/tierkit and this build's _core, in TREE/tierkit (replacing what was there).
# cmake -DSOURCE=<python/tierkit> -DCORE=<_core file> -DTREE=<dir> -P stage_python_tree.cmake
file(REMOVE_RECURSE ${TREE}/tierkit)
file(COPY ${SOURCE} DESTINATION ${TREE})
file(COPY ${CORE} DESTINATION ${TREE}/tierkit)
