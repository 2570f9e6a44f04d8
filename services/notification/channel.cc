#include "services/notification/channel.h"

#include "google/protobuf/util/json_util.h"

namespace notification {

std::string NotificationJson(const v1::Notification& notification) {
  v1::Notification message = notification;
  // Receivers care about the message, not how often we tried to send it;
  // and the same notification must look the same on every try.
  message.clear_delivery_status();
  message.clear_deliveries();
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string json;
  // A Notification holds no Any or map, so printing it cannot fail.
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  return json;
}

}  // namespace notification
