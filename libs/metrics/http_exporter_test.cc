#include "libs/metrics/http_exporter.h"

#include <memory>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "libs/metrics/registry.h"

namespace mesh::metrics {
namespace {

using ::testing::HasSubstr;

TEST(HttpExporterTest, Start_PortZero_ServesMetricsFromRegistry) {
  Registry registry;
  registry.GetCounter("scraped_total", "Scrape test.").Increment(7);
  absl::StatusOr<std::unique_ptr<HttpExporter>> exporter =
      HttpExporter::Start("127.0.0.1", 0, registry);
  ASSERT_TRUE(exporter.ok()) << exporter.status();
  ASSERT_GT((*exporter)->port(), 0);

  httplib::Client client("127.0.0.1", (*exporter)->port());
  httplib::Result result = client.Get("/metrics");
  ASSERT_TRUE(result) << httplib::to_string(result.error());
  EXPECT_EQ(result->status, 200);
  EXPECT_EQ(result->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_THAT(result->body, HasSubstr("# TYPE scraped_total counter\nscraped_total 7\n"));

  registry.GetCounter("scraped_total", "").Increment();
  result = client.Get("/metrics");
  ASSERT_TRUE(result);
  EXPECT_THAT(result->body, HasSubstr("scraped_total 8\n"));
}

TEST(HttpExporterTest, Get_OtherPath_NotFound) {
  Registry registry;
  absl::StatusOr<std::unique_ptr<HttpExporter>> exporter =
      HttpExporter::Start("127.0.0.1", 0, registry);
  ASSERT_TRUE(exporter.ok()) << exporter.status();

  httplib::Client client("127.0.0.1", (*exporter)->port());
  httplib::Result result = client.Get("/");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 404);
  result = client.Get("/metrics/extra");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 404);
}

TEST(HttpExporterTest, Stop_CalledTwice_PortClosedAndNoHang) {
  Registry registry;
  absl::StatusOr<std::unique_ptr<HttpExporter>> exporter =
      HttpExporter::Start("127.0.0.1", 0, registry);
  ASSERT_TRUE(exporter.ok()) << exporter.status();
  const int port = (*exporter)->port();
  (*exporter)->Stop();
  (*exporter)->Stop();

  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(1, 0);
  EXPECT_FALSE(client.Get("/metrics"));
}

TEST(HttpExporterTest, Start_PortInUse_Unavailable) {
  Registry registry;
  absl::StatusOr<std::unique_ptr<HttpExporter>> first =
      HttpExporter::Start("127.0.0.1", 0, registry);
  ASSERT_TRUE(first.ok()) << first.status();

  absl::StatusOr<std::unique_ptr<HttpExporter>> second =
      HttpExporter::Start("127.0.0.1", (*first)->port(), registry);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace mesh::metrics
