#pragma once
// tierkit: customer tiering. The umbrella header includes every public concept.
#include "tierkit/calendar.hpp"
#include "tierkit/column.hpp"
#include "tierkit/customer_attributes.hpp"
#include "tierkit/demo.hpp"
#include "tierkit/error.hpp"
#include "tierkit/fwd.hpp"
#include "tierkit/profile.hpp"
#include "tierkit/time_zone.hpp"
#include "tierkit/transactions.hpp"
#include "tierkit/version.hpp"
