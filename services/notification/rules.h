// The rules that turn domain events into messages for people (DESIGN §1: the
// seeds' KakaoTalk alerts). Rules live in code, one table per domain
// (rules_<domain>.cc); AllRules() joins the tables.
//
// Everything here is pure: no store, no network. Thread-safe.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "common/v1/event.pb.h"
#include "common/v1/money.pb.h"
#include "libs/messaging/event.h"
#include "notification/v1/notification.pb.h"

namespace notification {

// What one rule says about one event.
struct Message {
  std::string recipient;
  v1::Channel channel = v1::CHANNEL_KAKAOTALK;
  std::string title;
  std::string body;
};

// Renders the message of one event; nullopt when the event is none of the
// rule's business (a payment of another merchant, say). INVALID_ARGUMENT
// when the payload is not the expected type, does not parse, or names no
// recipient: such an event can never be applied.
using Render =
    std::function<absl::StatusOr<std::optional<Message>>(const common::v1::EventEnvelope&)>;

struct Rule {
  // Stable and unique across every table, e.g. "usedcar.purchased": it is
  // part of the ids of the notifications the rule makes, so renaming a rule
  // would notify again about events replayed later.
  std::string id;
  // The producing context and event type it listens to, e.g.
  // "usedcar.purchase" and "Purchased".
  std::string producer;
  std::string event_type;
  Render render;
};

// A rule over events whose payload is `Payload`; `render` sees the unpacked
// payload and returns nullopt to ignore the event.
template <typename Payload>
Rule MakeRule(std::string id, std::string producer,
              std::function<std::optional<Message>(const Payload&)> render) {
  Rule rule;
  rule.event_type = Payload::descriptor()->name();
  rule.render =
      [id, render = std::move(render)](
          const common::v1::EventEnvelope& event) -> absl::StatusOr<std::optional<Message>> {
    Payload payload;
    absl::Status unpacked = mesh::messaging::UnpackPayload(event, &payload);
    if (!unpacked.ok()) return unpacked;
    std::optional<Message> message = render(payload);
    if (message.has_value() && message->recipient.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("event ", event.event_id(), " (",
                                                     event.event_type(),
                                                     ") names no recipient for rule ", id));
    }
    return message;
  };
  rule.id = std::move(id);
  rule.producer = std::move(producer);
  return rule;
}

// The usedcar domain's rules (rules_usedcar.cc).
std::vector<Rule> UsedcarRules();

// Every domain's rules.
std::vector<Rule> AllRules();

// "25,000,000 KRW", "12.50 USD": the amount in major units with the
// currency's usual decimals (none for KRW and JPY, two otherwise).
std::string FormatMoney(const common::v1::Money& money);

}  // namespace notification
