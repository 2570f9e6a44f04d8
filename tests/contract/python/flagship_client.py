#!/usr/bin/env python3
"""The flagship used-car purchase, through a Python client generated from proto/.

Issue 4: proves the contracts are usable outside C++. tests/contract/CMakeLists.txt
generates the client into the build directory (protoc with grpc_python_plugin; the
runtime is Debian's python3-grpcio and python3-protobuf), and
python_client_test.cc starts the services and runs this script with their
addresses. It exits 0 when every step answered as the contract says, and prints
the purchase id on its last line; otherwise it names the step that failed and
exits 1.
"""

import argparse
import sys
import time

import grpc

from billing.v1 import billing_pb2
from billing.v1 import billing_pb2_grpc
from common.v1 import money_pb2
from notification.v1 import notification_pb2
from notification.v1 import notification_pb2_grpc
from usedcar.dashboard.v1 import dashboard_pb2
from usedcar.dashboard.v1 import dashboard_pb2_grpc
from usedcar.purchase.v1 import purchase_pb2
from usedcar.purchase.v1 import purchase_pb2_grpc
from usedcar.stock.v1 import stock_pb2
from usedcar.stock.v1 import stock_pb2_grpc

PRICE = 25_000_000
TIMEOUT = 5.0


class ContractError(Exception):
    """A step answered other than the contract says."""


def check(condition, message):
    if not condition:
        raise ContractError(message)


def wait_for(what, read, done, timeout=20.0):
    """Polls read() until done(answer) holds; the events arrive a moment later."""
    deadline = time.monotonic() + timeout
    answer = None
    while time.monotonic() < deadline:
        try:
            answer = read()
            if done(answer):
                return answer
        except grpc.RpcError as error:
            if error.code() != grpc.StatusCode.NOT_FOUND:
                raise
        time.sleep(0.1)
    raise ContractError(f"{what} never happened; last answer: {answer}")


def run(args):
    channels = {
        name: grpc.insecure_channel(address)
        for name, address in (("billing", args.billing), ("purchase", args.purchase),
                              ("stock", args.stock), ("dashboard", args.dashboard),
                              ("notification", args.notification))
    }
    billing = billing_pb2_grpc.BillingServiceStub(channels["billing"])
    purchases = purchase_pb2_grpc.PurchaseServiceStub(channels["purchase"])
    stock = stock_pb2_grpc.StockServiceStub(channels["stock"])
    dashboard = dashboard_pb2_grpc.DashboardServiceStub(channels["dashboard"])
    notifications = notification_pb2_grpc.NotificationServiceStub(channels["notification"])
    car, customer = "car-py-1", "customer-py-1"

    stocked = stock.StockIn(
        stock_pb2.StockInRequest(car_id=car, quantity=1, idempotency_key="py-stock-in-1"),
        timeout=TIMEOUT).stock
    check(stocked.quantity == 1, f"StockIn: quantity {stocked.quantity}, not 1")

    request = purchase_pb2.RequestPurchaseRequest(
        request_id="py-req-1", customer_id=customer, car_id=car,
        price=money_pb2.Money(currency_code="KRW", amount_minor=PRICE))
    purchase = purchases.RequestPurchase(request, timeout=TIMEOUT).purchase
    check(purchase.status == purchase_pb2.PURCHASE_STATUS_PAID,
          f"RequestPurchase: {purchase_pb2.PurchaseStatus.Name(purchase.status)}, not PAID")
    check(purchase.payment_id, "RequestPurchase: no payment_id")
    replay = purchases.RequestPurchase(request, timeout=TIMEOUT).purchase
    check(replay == purchase, "RequestPurchase replayed with the same request_id answered "
          f"{replay}, not {purchase}")

    try:
        purchases.RequestPurchase(
            purchase_pb2.RequestPurchaseRequest(request_id="py-req-2", car_id=car,
                                                price=request.price),
            timeout=TIMEOUT)
        raise ContractError("RequestPurchase without customer_id succeeded")
    except grpc.RpcError as error:
        check(error.code() == grpc.StatusCode.INVALID_ARGUMENT,
              f"RequestPurchase without customer_id: {error.code()}, not INVALID_ARGUMENT")
        check("customer_id" in error.details(),
              f"INVALID_ARGUMENT does not name the field: {error.details()}")

    payments = billing.ListPayments(billing_pb2.ListPaymentsRequest(
        merchant="usedcar", payer_id=customer), timeout=TIMEOUT).payments
    check(len(payments) == 1, f"billing holds {len(payments)} payments for one purchase")
    check(payments[0].reference == f"usedcar/purchase/{purchase.purchase_id}",
          f"payment reference {payments[0].reference}")
    check(payments[0].status == billing_pb2.PAYMENT_STATUS_CAPTURED, "payment not CAPTURED")

    view_request = dashboard_pb2.GetPurchaseViewRequest(purchase_id=purchase.purchase_id)
    view = wait_for(
        "the view PAID, CAPTURED, CONSIGNED, stock DECREASED",
        lambda: dashboard.GetPurchaseView(view_request, timeout=TIMEOUT).view,
        lambda v: (v.purchase_status == dashboard_pb2.VIEW_PURCHASE_STATUS_PAID and
                   v.payment_status == dashboard_pb2.VIEW_PAYMENT_STATUS_CAPTURED and
                   v.consign_status == dashboard_pb2.VIEW_CONSIGN_STATUS_CONSIGNED and
                   v.stock_status == dashboard_pb2.VIEW_STOCK_STATUS_DECREASED))
    check(view.stock_total_after == 0, f"stock after the sale: {view.stock_total_after}")
    on_hand = stock.GetStock(stock_pb2.GetStockRequest(car_id=car), timeout=TIMEOUT).stock
    check(on_hand.quantity == 0, f"GetStock: quantity {on_hand.quantity}, not 0")

    wait_for("the buyer's Purchased alert",
             lambda: notifications.ListNotifications(
                 notification_pb2.ListNotificationsRequest(recipient=customer),
                 timeout=TIMEOUT).notifications,
             lambda ns: any(n.event_type == "Purchased" for n in ns))

    cancelled = purchases.CancelPurchase(purchase_pb2.CancelPurchaseRequest(
        purchase_id=purchase.purchase_id, reason="changed my mind"), timeout=TIMEOUT).purchase
    check(cancelled.status == purchase_pb2.PURCHASE_STATUS_CANCELLED,
          f"CancelPurchase: {purchase_pb2.PurchaseStatus.Name(cancelled.status)}")
    wait_for(
        "the view CANCELLED, REFUNDED, consignment CANCELLED, stock RETURNED",
        lambda: dashboard.GetPurchaseView(view_request, timeout=TIMEOUT).view,
        lambda v: (v.purchase_status == dashboard_pb2.VIEW_PURCHASE_STATUS_CANCELLED and
                   v.payment_status == dashboard_pb2.VIEW_PAYMENT_STATUS_REFUNDED and
                   v.consign_status == dashboard_pb2.VIEW_CONSIGN_STATUS_CANCELLED and
                   v.stock_status == dashboard_pb2.VIEW_STOCK_STATUS_RETURNED))
    for channel in channels.values():
        channel.close()
    return purchase.purchase_id


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name in ("billing", "purchase", "stock", "dashboard", "notification"):
        parser.add_argument(f"--{name}", required=True, help=f"{name}'s gRPC address")
    args = parser.parse_args()
    try:
        purchase_id = run(args)
    except (ContractError, grpc.RpcError) as error:
        print(f"FAILED: {error}", file=sys.stderr)
        return 1
    print(f"purchase_id={purchase_id}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
