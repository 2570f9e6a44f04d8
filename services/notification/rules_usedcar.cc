// The usedcar seed's KakaoTalk alerts: the buyer hears about every status
// change of a purchase, its payment, its consignment (탁송) and a shortage of
// stock (재고). Each text is Korean, then English.
#include "absl/strings/str_cat.h"
#include "billing/v1/billing_events.pb.h"
#include "services/notification/rules.h"
#include "usedcar/consign/v1/consign_events.pb.h"
#include "usedcar/purchase/v1/purchase_events.pb.h"
#include "usedcar/stock/v1/stock_events.pb.h"

namespace notification {
namespace {

constexpr char kPurchase[] = "usedcar.purchase";
constexpr char kConsign[] = "usedcar.consign";
constexpr char kStock[] = "usedcar.stock";
constexpr char kBilling[] = "billing";
// Billing serves every domain; only payments this domain asked for concern its buyers.
constexpr char kMerchant[] = "usedcar";

std::string Because(const std::string& reason) {
  return reason.empty() ? "" : absl::StrCat(" (", reason, ")");
}

Message ToBuyer(const std::string& recipient, std::string title, std::string body) {
  return Message{.recipient = recipient,
                 .channel = v1::CHANNEL_KAKAOTALK,
                 .title = std::move(title),
                 .body = std::move(body)};
}

}  // namespace

std::vector<Rule> UsedcarRules() {
  using billing::v1::PayApproved;
  using billing::v1::PayCancelled;
  using usedcar::consign::v1::ConsignCancelled;
  using usedcar::consign::v1::ConsignDelivered;
  using usedcar::consign::v1::Consigned;
  using usedcar::purchase::v1::PurchaseCancelled;
  using usedcar::purchase::v1::Purchased;
  using usedcar::stock::v1::StockShortage;

  std::vector<Rule> rules;
  rules.push_back(MakeRule<Purchased>(
      "usedcar.purchased", kPurchase, [](const Purchased& e) -> std::optional<Message> {
        return ToBuyer(
            e.customer_id(), "구매 완료 / Purchase complete",
            absl::StrCat("구매가 완료되었습니다 / Your purchase of car ", e.car_id(), " is paid"));
      }));
  rules.push_back(MakeRule<PurchaseCancelled>(
      "usedcar.purchase_cancelled", kPurchase,
      [](const PurchaseCancelled& e) -> std::optional<Message> {
        return ToBuyer(
            e.customer_id(), "구매 취소 / Purchase cancelled",
            absl::StrCat("구매가 취소되었습니다", Because(e.reason()), " / Your purchase of car ",
                         e.car_id(), " was cancelled", Because(e.reason())));
      }));
  rules.push_back(MakeRule<PayApproved>(
      "usedcar.pay_approved", kBilling, [](const PayApproved& e) -> std::optional<Message> {
        if (e.merchant() != kMerchant) return std::nullopt;
        return ToBuyer(e.payer_id(), "결제 승인 / Payment approved",
                       absl::StrCat("결제가 승인되었습니다 / Your payment of ",
                                    FormatMoney(e.amount()), " was approved"));
      }));
  rules.push_back(MakeRule<PayCancelled>(
      "usedcar.pay_cancelled", kBilling, [](const PayCancelled& e) -> std::optional<Message> {
        if (e.merchant() != kMerchant) return std::nullopt;
        if (e.kind() == "voided") {
          return ToBuyer(
              e.payer_id(), "결제 취소 / Payment released",
              absl::StrCat("결제 승인이 취소되었습니다 / Your payment of ", FormatMoney(e.amount()),
                           " was released, nothing was charged"));
        }
        return ToBuyer(e.payer_id(), "환불 완료 / Payment refunded",
                       absl::StrCat("결제가 환불되었습니다 / Your payment of ",
                                    FormatMoney(e.amount()), " was refunded"));
      }));
  rules.push_back(MakeRule<Consigned>(
      "usedcar.consigned", kConsign, [](const Consigned& e) -> std::optional<Message> {
        return ToBuyer(
            e.customer_id(), "탁송 시작 / Your car is on its way",
            absl::StrCat("차량 탁송이 시작되었습니다 / Your car ", e.car_id(), " is on its way"));
      }));
  rules.push_back(MakeRule<ConsignDelivered>(
      "usedcar.consign_delivered", kConsign,
      [](const ConsignDelivered& e) -> std::optional<Message> {
        return ToBuyer(
            e.customer_id(), "탁송 완료 / Car delivered",
            absl::StrCat("차량이 도착했습니다 / Your car ", e.car_id(), " was delivered"));
      }));
  rules.push_back(MakeRule<ConsignCancelled>(
      "usedcar.consign_cancelled", kConsign,
      [](const ConsignCancelled& e) -> std::optional<Message> {
        return ToBuyer(e.customer_id(), "탁송 취소 / Consignment cancelled",
                       absl::StrCat("차량 탁송이 취소되었습니다", Because(e.reason()),
                                    " / The consignment of car ", e.car_id(), " was cancelled",
                                    Because(e.reason())));
      }));
  rules.push_back(MakeRule<StockShortage>(
      "usedcar.stock_shortage", kStock, [](const StockShortage& e) -> std::optional<Message> {
        return ToBuyer(
            e.customer_id(), "재고 없음 / Sold out",
            absl::StrCat("죄송합니다. 차량이 판매 완료되어 환불해 드립니다 / Sorry, car ",
                         e.car_id(), " is sold out; you will be refunded"));
      }));
  return rules;
}

}  // namespace notification
