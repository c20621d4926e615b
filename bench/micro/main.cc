// Micro-benchmarks of ringcast's hot-path pieces. Report medians and spread:
//   ringcast-microbench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

BENCHMARK_MAIN();
