// loadgen: an asynchronous gRPC load generator for the mesh's calls.
//
//   loadgen --rpc purchase --target 127.0.0.1:50052 --concurrency 64 --duration 10s
//   loadgen --rpc purchase --target 127.0.0.1:50052 --rate 2000 --json out.json
//
// Prints a progress line on stderr every second, a one-line summary on
// stdout, and the full result as JSON to --json. Exit 0 when the run was
// made (whatever the calls answered), 1 when it could not be, 2 on bad flags.
#include <unistd.h>

#include <fstream>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "libs/config/config.h"
#include "tools/loadgen/report.h"
#include "tools/loadgen/rpc_client.h"
#include "tools/loadgen/runner.h"

namespace mesh::loadgen {
namespace {

Nanos ToNanos(absl::Duration d) { return absl::ToInt64Nanoseconds(d); }

void DefineFlags(config::Config& config) {
  config.DefineString("rpc", "echo", "the call to make: echo, health, pay or purchase");
  config.DefineString("target", "", "host:port of the server");
  config.DefineInt("channels", 1, "channels (connections) to spread the calls over");
  config.DefineInt("concurrency", 16, "closed loop: calls kept outstanding");
  config.DefineInt("rate", 0,
                   "open loop when > 0: calls per second on a fixed schedule; latency is "
                   "measured from each call's intended send time");
  config.DefineDuration("warmup", absl::Seconds(2), "calls made but not measured, first");
  config.DefineDuration("duration", absl::Seconds(10), "measurement window");
  config.DefineDuration("timeout", absl::Seconds(10), "deadline of each call");
  config.DefineInt("max_in_flight", 10000,
                   "open loop: due calls are dropped (and counted) while this many are "
                   "outstanding");
  config.DefineDuration("late_after", absl::Milliseconds(1),
                        "open loop: a call leaving this much after its intended time counts "
                        "as late");
  config.DefineInt("payload_bytes", 16, "echo: payload size");
  config.DefineString("id_prefix", "",
                      "pay, purchase: keys are <id_prefix>-<n> (default: unique per run)");
  config.DefineInt("buyers", 1000, "pay, purchase: payers buyer-0 .. buyer-<buyers-1>");
  config.DefineInt("cars", 64, "purchase: cars car-0 .. car-<cars-1>");
  config.DefineInt("amount_minor", 25000000, "pay, purchase: the price in KRW");
  config.DefineString("json", "", "write the result as JSON to this file");
  config.DefineBool("progress", true, "a progress line on stderr every second");
  config.DefineString("print_echo_body", "",
                      "write the gRPC-framed EchoRequest (an HTTP/2 body for h2load) to this "
                      "file and exit");
  config.DefineDuration("wait_serving", absl::ZeroDuration(),
                        "when > 0: wait up to this long until --target's health check "
                        "answers SERVING, then exit 0 (1 if it never does)");
}

// Polls grpc.health.v1.Health/Check.
int WaitServing(const std::string& target, absl::Duration limit) {
  const absl::Time deadline = absl::Now() + limit;
  std::string last = "no answer";
  while (absl::Now() < deadline) {
    // A fresh channel each time: a channel that was refused backs off for
    // a second or more before it tries again.
    auto stub = grpc::health::v1::Health::NewStub(DialChannels(target, 1).front());
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(std::min(deadline, absl::Now() + absl::Seconds(1))));
    grpc::health::v1::HealthCheckRequest request;
    grpc::health::v1::HealthCheckResponse response;
    grpc::Status status = stub->Check(&context, request, &response);
    if (status.ok() && response.status() == grpc::health::v1::HealthCheckResponse::SERVING) {
      return 0;
    }
    last = status.ok() ? grpc::health::v1::HealthCheckResponse::ServingStatus_Name(response.status())
                       : absl::StrCat(CodeName(status.error_code()), ": ", status.error_message());
    absl::SleepFor(absl::Milliseconds(50));
  }
  std::cerr << "loadgen: " << target << " not SERVING after " << absl::FormatDuration(limit)
            << " (" << last << ")\n";
  return 1;
}

int Main(int argc, char** argv) {
  config::Config config("loadgen", "LOADGEN",
                        "An asynchronous gRPC load generator: closed loop (--concurrency) or "
                        "open loop (--rate).");
  DefineFlags(config);
  if (absl::Status parsed = config.Parse(argc, argv); !parsed.ok()) {
    std::cerr << "loadgen: " << parsed.message() << "\n\n" << config.Usage();
    return 2;
  }
  if (config.help_requested()) {
    std::cout << config.Usage();
    return 0;
  }

  ClientOptions client_options;
  client_options.rpc = config.GetString("rpc");
  client_options.target = config.GetString("target");
  client_options.channels = static_cast<int>(config.GetInt("channels"));
  client_options.timeout = ToNanos(config.GetDuration("timeout"));
  client_options.payload_bytes = static_cast<int>(config.GetInt("payload_bytes"));
  client_options.id_prefix = config.GetString("id_prefix");
  if (client_options.id_prefix.empty()) {
    client_options.id_prefix = absl::StrCat("lg", absl::ToUnixMillis(absl::Now()), "p", getpid());
  }
  client_options.buyers = static_cast<int>(config.GetInt("buyers"));
  client_options.cars = static_cast<int>(config.GetInt("cars"));
  client_options.amount_minor = config.GetInt("amount_minor");

  if (const std::string body_file = config.GetString("print_echo_body"); !body_file.empty()) {
    std::ofstream out(body_file, std::ios::binary | std::ios::trunc);
    out << GrpcFrame(EchoRequestOf(client_options));
    out.close();
    if (!out) {
      std::cerr << "loadgen: cannot write " << body_file << "\n";
      return 1;
    }
    return 0;
  }
  if (config.GetDuration("wait_serving") > absl::ZeroDuration()) {
    if (client_options.target.empty()) {
      std::cerr << "loadgen: --target is required\n";
      return 2;
    }
    return WaitServing(client_options.target, config.GetDuration("wait_serving"));
  }

  RunOptions run_options;
  run_options.concurrency = static_cast<int>(config.GetInt("concurrency"));
  run_options.rate = config.GetInt("rate");
  run_options.warmup = ToNanos(config.GetDuration("warmup"));
  run_options.duration = ToNanos(config.GetDuration("duration"));
  run_options.max_in_flight = config.GetInt("max_in_flight");
  run_options.late_after = ToNanos(config.GetDuration("late_after"));
  run_options.drain_timeout = client_options.timeout + kNanosPerSecond;
  if (run_options.rate < 0 || (run_options.rate == 0 && run_options.concurrency < 1) ||
      run_options.duration <= 0 || run_options.warmup < 0 || run_options.max_in_flight < 1) {
    std::cerr << "loadgen: need --duration > 0, --warmup >= 0, --max_in_flight >= 1, and "
                 "--rate > 0 or --concurrency >= 1\n";
    return 2;
  }
  absl::StatusOr<std::unique_ptr<RpcClient>> client = MakeRpcClient(client_options);
  if (!client.ok()) {
    std::cerr << "loadgen: " << client.status().message() << "\n";
    return 2;
  }

  const bool tty = isatty(STDERR_FILENO) == 1;
  bool progress_shown = false;
  if (config.GetBool("progress")) {
    run_options.on_progress = [tty, &progress_shown](const Progress& progress) {
      // On a terminal the line rewrites itself; in a log, one line a second.
      std::cerr << (tty ? "\r" : "") << ProgressLine(progress) << (tty ? "\033[K" : "\n")
                << std::flush;
      progress_shown = true;
    };
  }
  RunResult result = Run(**client, run_options);
  if (tty && progress_shown) std::cerr << "\n";
  result.rpc = client_options.rpc;
  result.target = client_options.target;

  std::cout << SummaryLine(result) << std::endl;
  if (const std::string json_file = config.GetString("json"); !json_file.empty()) {
    std::ofstream out(json_file, std::ios::trunc);
    out << ToJson(result) << "\n";
    out.close();
    if (!out) {
      std::cerr << "loadgen: cannot write " << json_file << "\n";
      return 1;
    }
  }
  if (result.unfinished > 0) {
    // Calls still hold the client; let the process end without tearing it down.
    std::cout.flush();
    _exit(0);
  }
  return 0;
}

}  // namespace
}  // namespace mesh::loadgen

int main(int argc, char** argv) { return mesh::loadgen::Main(argc, argv); }
