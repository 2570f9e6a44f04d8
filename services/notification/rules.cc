#include "services/notification/rules.h"

#include <cstdlib>

#include "absl/strings/str_format.h"

namespace notification {
namespace {

std::string GroupThousands(uint64_t value) {
  std::string digits = absl::StrCat(value);
  std::string grouped;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) grouped.push_back(',');
    grouped.push_back(digits[i]);
  }
  return grouped;
}

}  // namespace

std::vector<Rule> AllRules() {
  std::vector<Rule> rules = UsedcarRules();
  return rules;
}

std::string FormatMoney(const common::v1::Money& money) {
  const int64_t amount = money.amount_minor();
  const uint64_t magnitude = amount < 0 ? 0 - static_cast<uint64_t>(amount) : amount;
  const std::string sign = amount < 0 ? "-" : "";
  // Currencies without minor units; every other one is shown with two decimals.
  if (money.currency_code() == "KRW" || money.currency_code() == "JPY") {
    return absl::StrCat(sign, GroupThousands(magnitude), " ", money.currency_code());
  }
  return absl::StrFormat("%s%s.%02d %s", sign, GroupThousands(magnitude / 100),
                         static_cast<int>(magnitude % 100), money.currency_code());
}

}  // namespace notification
