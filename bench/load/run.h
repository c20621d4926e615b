#pragma once
// One ringcast-load run, phase by phase: baseline stats, connect, memory,
// then either hold (idle mode) or publish and measure; each phase bounded in
// time. Fills a RunReport; never exits the process.
#include "options.h"
#include "report.h"

namespace ringcast::load {

RunReport run_load(const LoadOptions& opts);

}  // namespace ringcast::load
