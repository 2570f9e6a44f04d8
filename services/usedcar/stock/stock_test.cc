#include "services/usedcar/stock/stock.h"

#include <limits>

#include "gtest/gtest.h"

namespace usedcar::stock {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);
const ConsignmentRef kRef{"con-1", "pur-1", "cus-1"};

v1::StockInRequest Request(std::string car_id, int64_t quantity, std::string key) {
  v1::StockInRequest request;
  request.set_car_id(std::move(car_id));
  request.set_quantity(quantity);
  request.set_idempotency_key(std::move(key));
  return request;
}

Stock StockOf(int64_t quantity) {
  Stock stock = EmptyStock("car-1");
  EXPECT_TRUE(StockIn(stock, quantity, kNow).ok());
  return stock;
}

TEST(ValidateStockInTest, GoodRequest_Ok) {
  EXPECT_TRUE(ValidateStockIn(Request("car-1", 1, "k-1")).ok());
  EXPECT_TRUE(ValidateStockIn(Request("car-1", kMaxStockIn, "k-1")).ok());
}

TEST(ValidateStockInTest, BadField_InvalidArgumentNamingIt) {
  const struct {
    v1::StockInRequest request;
    std::string message;
  } cases[] = {
      {Request("", 1, "k"), "car_id is required"},
      {Request(std::string(129, 'c'), 1, "k"), "car_id must be at most 128 characters"},
      {Request("car 1", 1, "k"), "car_id must be printable ASCII without spaces"},
      {Request("car-1", 0, "k"), "quantity must be between 1 and 1000000"},
      {Request("car-1", -3, "k"), "quantity must be between 1 and 1000000"},
      {Request("car-1", kMaxStockIn + 1, "k"), "quantity must be between 1 and 1000000"},
      {Request("car-1", 1, ""), "idempotency_key is required"},
  };
  for (const auto& c : cases) {
    absl::Status status = ValidateStockIn(c.request);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.message;
    EXPECT_EQ(status.message(), c.message);
  }
}

TEST(StockInTest, NewCar_AddsUnitsBumpsVersionRaisesStockChanged) {
  Stock stock = EmptyStock("car-1");
  absl::StatusOr<v1::StockChanged> changed = StockIn(stock, 3, kNow);
  ASSERT_TRUE(changed.ok()) << changed.status();
  EXPECT_EQ(stock.quantity(), 3);
  EXPECT_EQ(stock.stocked_in(), 3);
  EXPECT_EQ(stock.version(), 1);
  EXPECT_EQ(stock.update_time().seconds(), absl::ToUnixSeconds(kNow));
  EXPECT_EQ(changed->car_id(), "car-1");
  EXPECT_EQ(changed->delta(), 3);
  EXPECT_EQ(changed->total(), 3);
  EXPECT_EQ(changed->cause(), "stock-in");
  EXPECT_TRUE(changed->consignment_id().empty());
  EXPECT_TRUE(Balanced(stock));
}

TEST(StockInTest, WouldOverflow_OutOfRangeNothingChanged) {
  Stock stock = EmptyStock("car-1");
  stock.set_stocked_in(std::numeric_limits<int64_t>::max() - 1);
  stock.set_quantity(stock.stocked_in());
  const Stock before = stock;
  EXPECT_EQ(StockIn(stock, 2, kNow).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(stock.SerializeAsString(), before.SerializeAsString());
}

TEST(ApplyConsignedTest, UnitOnHand_TakesOneAndReserves) {
  Stock stock = StockOf(2);
  Decision decision = ApplyConsigned(stock, ConsignmentMark::kNone, kRef, kNow);
  EXPECT_EQ(decision.mark, ConsignmentMark::kReserved);
  ASSERT_TRUE(decision.changed.has_value());
  EXPECT_FALSE(decision.shortage.has_value());
  EXPECT_EQ(decision.changed->delta(), -1);
  EXPECT_EQ(decision.changed->total(), 1);
  EXPECT_EQ(decision.changed->cause(), "consigned");
  EXPECT_EQ(decision.changed->consignment_id(), "con-1");
  EXPECT_EQ(decision.changed->purchase_id(), "pur-1");
  EXPECT_EQ(stock.quantity(), 1);
  EXPECT_EQ(stock.consigned(), 1);
  EXPECT_EQ(stock.version(), 2);
  EXPECT_TRUE(Balanced(stock));
}

TEST(ApplyConsignedTest, NoneOnHand_ShortageAndStockUntouched) {
  Stock stock = EmptyStock("car-1");
  Decision decision = ApplyConsigned(stock, ConsignmentMark::kNone, kRef, kNow);
  EXPECT_EQ(decision.mark, ConsignmentMark::kShort);
  EXPECT_FALSE(decision.changed.has_value());
  ASSERT_TRUE(decision.shortage.has_value());
  EXPECT_EQ(decision.shortage->car_id(), "car-1");
  EXPECT_EQ(decision.shortage->consignment_id(), "con-1");
  EXPECT_EQ(decision.shortage->purchase_id(), "pur-1");
  EXPECT_EQ(decision.shortage->customer_id(), "cus-1");
  EXPECT_EQ(stock.SerializeAsString(), EmptyStock("car-1").SerializeAsString());
}

TEST(ApplyConsignedTest, AlreadyMarked_NothingChanges) {
  for (ConsignmentMark mark : {ConsignmentMark::kReserved, ConsignmentMark::kShort,
                               ConsignmentMark::kReturned, ConsignmentMark::kCancelled}) {
    Stock stock = StockOf(5);
    const Stock before = stock;
    Decision decision = ApplyConsigned(stock, mark, kRef, kNow);
    EXPECT_FALSE(decision.mark.has_value()) << MarkName(mark);
    EXPECT_FALSE(decision.changed.has_value()) << MarkName(mark);
    EXPECT_FALSE(decision.shortage.has_value()) << MarkName(mark);
    EXPECT_EQ(stock.SerializeAsString(), before.SerializeAsString()) << MarkName(mark);
  }
}

TEST(ApplyConsignCancelledTest, Reserved_GivesTheUnitBack) {
  Stock stock = StockOf(1);
  ApplyConsigned(stock, ConsignmentMark::kNone, kRef, kNow);
  Decision decision = ApplyConsignCancelled(stock, ConsignmentMark::kReserved, kRef, kNow);
  EXPECT_EQ(decision.mark, ConsignmentMark::kReturned);
  ASSERT_TRUE(decision.changed.has_value());
  EXPECT_EQ(decision.changed->delta(), 1);
  EXPECT_EQ(decision.changed->total(), 1);
  EXPECT_EQ(decision.changed->cause(), "consign-cancelled");
  EXPECT_EQ(decision.changed->consignment_id(), "con-1");
  EXPECT_EQ(stock.quantity(), 1);
  EXPECT_EQ(stock.returned(), 1);
  EXPECT_EQ(stock.version(), 3);
  EXPECT_TRUE(Balanced(stock));
}

TEST(ApplyConsignCancelledTest, NeverTookAUnit_TombstoneNoEventNoChange) {
  for (ConsignmentMark mark : {ConsignmentMark::kNone, ConsignmentMark::kShort}) {
    Stock stock = StockOf(2);
    const Stock before = stock;
    Decision decision = ApplyConsignCancelled(stock, mark, kRef, kNow);
    EXPECT_EQ(decision.mark, ConsignmentMark::kCancelled) << MarkName(mark);
    EXPECT_FALSE(decision.changed.has_value()) << MarkName(mark);
    EXPECT_FALSE(decision.shortage.has_value()) << MarkName(mark);
    EXPECT_EQ(stock.SerializeAsString(), before.SerializeAsString()) << MarkName(mark);
  }
}

TEST(ApplyConsignCancelledTest, AlreadySettled_NothingChanges) {
  for (ConsignmentMark mark : {ConsignmentMark::kReturned, ConsignmentMark::kCancelled}) {
    Stock stock = StockOf(2);
    const Stock before = stock;
    Decision decision = ApplyConsignCancelled(stock, mark, kRef, kNow);
    EXPECT_FALSE(decision.mark.has_value()) << MarkName(mark);
    EXPECT_FALSE(decision.changed.has_value()) << MarkName(mark);
    EXPECT_EQ(stock.SerializeAsString(), before.SerializeAsString()) << MarkName(mark);
  }
}

TEST(ApplyConsignedTest, AfterTombstone_TakesNothing) {
  Stock stock = StockOf(1);
  Decision cancelled = ApplyConsignCancelled(stock, ConsignmentMark::kNone, kRef, kNow);
  ASSERT_EQ(cancelled.mark, ConsignmentMark::kCancelled);
  Decision late = ApplyConsigned(stock, *cancelled.mark, kRef, kNow);
  EXPECT_FALSE(late.changed.has_value());
  EXPECT_FALSE(late.shortage.has_value());
  EXPECT_EQ(stock.quantity(), 1);
}

TEST(MarkNameTest, EveryMark_ParsesBack) {
  for (ConsignmentMark mark :
       {ConsignmentMark::kNone, ConsignmentMark::kReserved, ConsignmentMark::kShort,
        ConsignmentMark::kReturned, ConsignmentMark::kCancelled}) {
    EXPECT_EQ(ParseMark(MarkName(mark)), mark);
  }
  EXPECT_FALSE(ParseMark("taken").has_value());
}

TEST(BalancedTest, CountersDisagree_False) {
  Stock stock = StockOf(3);
  stock.set_consigned(1);
  EXPECT_FALSE(Balanced(stock));
  stock.set_quantity(-1);
  stock.set_consigned(4);
  EXPECT_FALSE(Balanced(stock));
}

}  // namespace
}  // namespace usedcar::stock
