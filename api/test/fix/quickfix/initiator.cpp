// A QuickFIX/C++ initiator that logs on to the gateway, sells, waits for a fill, cancels the
// rest and logs out. It validates everything it receives against the FIX 4.4 data dictionary
// named in its settings (UseDataDictionary=Y): a message of ours that does not validate makes
// QuickFIX send a Reject, which this program reports and fails on.
//
// usage: initiator <settings file> <username> <password> [ClOrdID, default qf-1] [mass]
// With `mass`, the rest is canceled by an OrderMassCancelRequest (530=7) instead, and the
// scenario completes once both the OrderMassCancelReport and the order's CANCELED report came.
// stdout: one line per event (LOGON, EXEC ..., MASS_CANCEL_REPORT ..., CANCEL_REJECT ..., SENT_REJECT ..., LOGOUT ..., DONE)
// exit: 0 when the scenario completed, 1 on any reject, 2 on timeout, 3 on a configuration error.
//
// Built against Debian's libquickfix-dev (QuickFIX 1.15, whose headers need C++11 with dynamic
// exception specifications): g++ -std=c++11 -DHAVE_STD_SHARED_PTR initiator.cpp -lquickfix -lpthread
#include <quickfix/Application.h>
#include <quickfix/FileLog.h>
#include <quickfix/FileStore.h>
#include <quickfix/MessageCracker.h>
#include <quickfix/Session.h>
#include <quickfix/SessionSettings.h>
#include <quickfix/SocketInitiator.h>
#include <quickfix/fix44/BusinessMessageReject.h>
#include <quickfix/fix44/ExecutionReport.h>
#include <quickfix/fix44/NewOrderSingle.h>
#include <quickfix/fix44/OrderCancelReject.h>
#include <quickfix/fix44/OrderCancelRequest.h>
#include <quickfix/fix44/OrderMassCancelReport.h>
#include <quickfix/fix44/OrderMassCancelRequest.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <string>
#include <thread>

namespace {

std::string ORDER_ID = "qf-1";
std::string CANCEL_ID = "qf-1-cancel";

std::atomic<int> outcome(-1);
bool MASS = false;
std::atomic<bool> massReported(false);
std::atomic<bool> canceled(false);

void say(const std::string& line) {
  std::cout << line << std::endl;
}

std::string field(const FIX::FieldMap& m, int tag) {
  return m.isSetField(tag) ? m.getField(tag) : std::string("-");
}

class Client : public FIX::Application, public FIX::MessageCracker {
 public:
  Client(std::string username, std::string password) : username_(std::move(username)), password_(std::move(password)) {}

  void onCreate(const FIX::SessionID&) override {}

  void onLogon(const FIX::SessionID& session) override {
    say("LOGON");
    FIX44::NewOrderSingle order(FIX::ClOrdID(ORDER_ID), FIX::Side(FIX::Side_SELL), FIX::TransactTime(), FIX::OrdType(FIX::OrdType_LIMIT));
    order.set(FIX::Symbol("AAPL"));
    order.set(FIX::OrderQty(10));
    order.set(FIX::Price(140.25));
    order.set(FIX::TimeInForce(FIX::TimeInForce_DAY));
    FIX::Session::sendToTarget(order, session);
  }

  void onLogout(const FIX::SessionID&) override {
    say("LOGOUT");
  }

  void toAdmin(FIX::Message& message, const FIX::SessionID&) override {
    const std::string type = message.getHeader().getField(FIX::FIELD::MsgType);
    if (type == FIX::MsgType_Logon) {
      message.setField(FIX::Username(username_));
      message.setField(FIX::Password(password_));
    } else if (type == FIX::MsgType_Reject) {
      // QuickFIX found one of our messages invalid (data dictionary, sequence, format).
      say("SENT_REJECT " + field(message, FIX::FIELD::RefTagID) + " " + field(message, FIX::FIELD::Text));
      outcome = 1;
    }
  }

  void fromAdmin(const FIX::Message& message, const FIX::SessionID&)
      throw(FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue, FIX::RejectLogon) override {
    const std::string type = message.getHeader().getField(FIX::FIELD::MsgType);
    if (type == FIX::MsgType_Reject) {
      say("REJECT " + field(message, FIX::FIELD::Text));
      outcome = 1;
    } else if (type == FIX::MsgType_Logout) {
      say("LOGOUT_TEXT " + field(message, FIX::FIELD::Text));
    }
  }

  void toApp(FIX::Message&, const FIX::SessionID&) throw(FIX::DoNotSend) override {}

  void fromApp(const FIX::Message& message, const FIX::SessionID& session)
      throw(FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue, FIX::UnsupportedMessageType) override {
    crack(message, session);
  }

  void onMessage(const FIX44::ExecutionReport& report, const FIX::SessionID& session) override {
    const std::string execType = field(report, FIX::FIELD::ExecType);
    say("EXEC " + field(report, FIX::FIELD::ClOrdID) + " " + execType + " " + field(report, FIX::FIELD::OrdStatus) + " " +
        field(report, FIX::FIELD::CumQty) + " " + field(report, FIX::FIELD::LeavesQty) + " " + field(report, FIX::FIELD::LastQty) + " " +
        field(report, FIX::FIELD::LastPx) + " " + field(report, FIX::FIELD::AvgPx) + " " + field(report, FIX::FIELD::OrigClOrdID));
    if (execType == std::string(1, FIX::ExecType_NEW)) {
      say("READY");
    } else if (execType == std::string(1, FIX::ExecType_TRADE) && MASS) {
      FIX44::OrderMassCancelRequest request(FIX::ClOrdID(CANCEL_ID), FIX::MassCancelRequestType('7'), FIX::TransactTime());
      FIX::Session::sendToTarget(request, session);
    } else if (execType == std::string(1, FIX::ExecType_TRADE)) {
      FIX44::OrderCancelRequest cancel(FIX::OrigClOrdID(ORDER_ID), FIX::ClOrdID(CANCEL_ID), FIX::Side(FIX::Side_SELL), FIX::TransactTime());
      cancel.set(FIX::Symbol("AAPL"));
      cancel.set(FIX::OrderQty(10));
      FIX::Session::sendToTarget(cancel, session);
    } else if (execType == std::string(1, FIX::ExecType_CANCELED)) {
      canceled = true;
      if (!MASS || massReported) outcome = 0;
    }
  }

  void onMessage(const FIX44::OrderMassCancelReport& report, const FIX::SessionID&) override {
    say("MASS_CANCEL_REPORT " + field(report, FIX::FIELD::ClOrdID) + " " + field(report, FIX::FIELD::MassCancelRequestType) + " " +
        field(report, FIX::FIELD::MassCancelResponse) + " " + field(report, FIX::FIELD::TotalAffectedOrders));
    massReported = true;
    if (canceled) outcome = 0;
  }

  void onMessage(const FIX44::OrderCancelReject& reject, const FIX::SessionID&) override {
    say("CANCEL_REJECT " + field(reject, FIX::FIELD::Text));
    outcome = 1;
  }

  void onMessage(const FIX44::BusinessMessageReject& reject, const FIX::SessionID&) override {
    say("BUSINESS_REJECT " + field(reject, FIX::FIELD::Text));
    outcome = 1;
  }

 private:
  std::string username_;
  std::string password_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4 || argc > 6) {
    std::cerr << "usage: initiator <settings file> <username> <password> [ClOrdID] [mass]" << std::endl;
    return 3;
  }
  if (argc >= 5) {
    ORDER_ID = argv[4];
    CANCEL_ID = ORDER_ID + "-cancel";
  }
  MASS = argc == 6 && std::string(argv[5]) == "mass";
  try {
    FIX::SessionSettings settings(argv[1]);
    Client client(argv[2], argv[3]);
    FIX::FileStoreFactory store(settings);
    FIX::FileLogFactory log(settings);
    FIX::SocketInitiator initiator(client, store, settings, log);
    initiator.start();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (outcome < 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    const int result = outcome < 0 ? 2 : outcome.load();
    initiator.stop();
    say(result == 0 ? "DONE" : "FAILED");
    return result;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << std::endl;
    return 3;
  }
}
