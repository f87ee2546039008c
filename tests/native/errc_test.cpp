#include "errc.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace realtime {
namespace {

TEST(Errc, EveryCodeHasAUniqueNameAndAMessage) {
  std::set<std::string> names;
  for (int i = 0; i < 100; ++i) {
    auto e = static_cast<Errc>(i);
    if (errc_name(e) == "unknown") continue;
    EXPECT_NE(errc_message(e), "unknown error") << i;
    EXPECT_TRUE(names.insert(std::string(errc_name(e))).second) << errc_name(e);
  }
  EXPECT_GE(names.size(), 20u);
  EXPECT_EQ(errc_name(Errc::kNotJson), "not_json");
}

TEST(Errc, MessageErrorsAreTheInboundMessageProblems) {
  for (Errc e : {Errc::kNotJson, Errc::kNotObject, Errc::kTypeMissing, Errc::kTypeNotString,
                 Errc::kTooLarge, Errc::kTooDeep, Errc::kInvalidUtf8, Errc::kBinaryFrame}) {
    EXPECT_TRUE(is_message_error(e)) << errc_name(e);
  }
  for (Errc e : {Errc::kOk, Errc::kConnectFailed, Errc::kHeartbeatTimeout, Errc::kStreamTooLarge,
                 Errc::kAckTimeout, Errc::kMalformedToken, Errc::kInvalidConfig}) {
    EXPECT_FALSE(is_message_error(e)) << errc_name(e);
  }
}

}  // namespace
}  // namespace realtime
