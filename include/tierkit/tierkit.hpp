#pragma once
// tierkit: customer tiering. The umbrella header includes every public concept except the
// opt-in serialization.hpp.
#include "tierkit/abc.hpp"
#include "tierkit/binning.hpp"
#include "tierkit/calendar.hpp"
#include "tierkit/column.hpp"
#include "tierkit/customer_attributes.hpp"
#include "tierkit/demo.hpp"
#include "tierkit/error.hpp"
#include "tierkit/fwd.hpp"
#include "tierkit/metric_table.hpp"
#include "tierkit/profile.hpp"
#include "tierkit/rfm.hpp"
#include "tierkit/segments.hpp"
#include "tierkit/strategy.hpp"
#include "tierkit/time_zone.hpp"
#include "tierkit/transactions.hpp"
#include "tierkit/version.hpp"
