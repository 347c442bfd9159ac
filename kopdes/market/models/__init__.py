from .display import Consignment, DisplayPoint, DisplaySale, DisplaySaleLine, DisplaySettlement
from .listings import DeliveryZone, Listing, Location, SellerSettings, StockLevel, StockMovement
from .orders import (
    Cart,
    CartItem,
    Checkout,
    Order,
    OrderEvent,
    OrderLine,
    OrderNotice,
    Payment,
    PaymentEvent,
    Review,
    SettlementEntry,
)
from .search import SearchTerm

__all__ = [
    "Cart",
    "CartItem",
    "Checkout",
    "Consignment",
    "DeliveryZone",
    "DisplayPoint",
    "DisplaySale",
    "DisplaySaleLine",
    "DisplaySettlement",
    "Listing",
    "Location",
    "Order",
    "OrderEvent",
    "OrderLine",
    "OrderNotice",
    "Payment",
    "PaymentEvent",
    "Review",
    "SearchTerm",
    "SellerSettings",
    "SettlementEntry",
    "StockLevel",
    "StockMovement",
]
