from django.db import models
from django.utils.translation import gettext_lazy as _


class LocationKind(models.TextChoices):
    OUTLET = "outlet", _("Outlet")
    WAREHOUSE = "warehouse", _("Warehouse")
    DISPLAY = "display", _("Display point")


# Where online orders may take stock from: not a display point's shelf (that stock is consigned).
ONLINE_KINDS = (LocationKind.WAREHOUSE, LocationKind.OUTLET)


class MovementReason(models.TextChoices):
    ADJUST = "adjust", _("Adjustment by an officer")
    CHECKOUT = "checkout", _("Taken by an order")
    RELEASE = "release", _("Released by a cancelled or expired order")
    RETURN = "return", _("Returned by the buyer")
    CONSIGN_OUT = "consign_out", _("Consigned to a display point")
    CONSIGN_IN = "consign_in", _("Received on consignment")
    CONSIGN_BACK = "consign_back", _("Taken back from a display point")
    DISPLAY_SALE = "display_sale", _("Sold at a display point")


class DeliveryMethod(models.TextChoices):
    PICKUP = "pickup", _("Pickup at an outlet")
    LOCAL = "local", _("Local delivery by the cooperative")
    COURIER = "courier", _("Courier (rate confirmed by the cooperative)")


class PaymentMethod(models.TextChoices):
    QRIS = "qris", _("QRIS")
    TRANSFER = "transfer", _("Bank transfer")
    COD = "cod", _("Cash on delivery or at pickup")


class OrderStatus(models.TextChoices):
    CREATED = "created", _("Waiting for payment")
    PAID = "paid", _("Paid")
    PROCESSING = "processing", _("Being prepared")
    SHIPPED = "shipped", _("Shipped")
    RECEIVED = "received", _("Received")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    RETURNED = "returned", _("Returned")


OPEN_STATUSES = (OrderStatus.CREATED, OrderStatus.PAID, OrderStatus.PROCESSING, OrderStatus.SHIPPED)
FINAL_STATUSES = (OrderStatus.COMPLETED, OrderStatus.CANCELLED, OrderStatus.RETURNED)


class PaymentKind(models.TextChoices):
    PAYMENT = "payment", _("Payment")
    REFUND = "refund", _("Refund")


class PaymentSource(models.TextChoices):
    TREASURER = "treasurer", _("Confirmed by the treasurer")
    GATEWAY = "gateway", _("Payment provider")
    CASHIER = "cashier", _("Display point cashier")


class RefundStatus(models.TextChoices):
    DUE = "due", _("Refund due")
    DONE = "done", _("Refunded")


class SettlementKind(models.TextChoices):
    ORDER_PAYMENT = "order_payment", _("Order payment")
    REFUND = "refund", _("Refund")
    DISPLAY_SALE = "display_sale", _("Display point sales")
    DISPLAY_COMMISSION = "display_commission", _("Display point commission")


class DisplayKind(models.TextChoices):
    AIRPORT = "airport", _("Airport")
    HARBOUR = "harbour", _("Harbour")
    HOTEL = "hotel", _("Hotel")
    EXHIBITION = "exhibition", _("Exhibition")
    OTHER = "other", _("Other")


class DisplaySettlementStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SETTLED = "settled", _("Settled")


class SortOrder(models.TextChoices):
    RELEVANCE = "relevance", _("Relevance")
    NEWEST = "newest", _("Newest")
    PRICE_LOW = "price_low", _("Price: low to high")
    PRICE_HIGH = "price_high", _("Price: high to low")
    STARS = "stars", _("Stars")
