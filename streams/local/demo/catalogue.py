"""The fixed demo catalogue and store list used by the load generator."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class CatalogueProduct:
    product_id: str
    category: str
    name: str
    brand: str
    price: float

    def as_properties(self, quantity: int = 1) -> dict[str, Any]:
        return {
            "product_id": self.product_id,
            "category": self.category,
            "name": self.name,
            "brand": self.brand,
            "price": self.price,
            "quantity": quantity,
        }


@dataclass(frozen=True, slots=True)
class Store:
    store_id: str
    city: str


STORES: tuple[Store, ...] = (
    Store("store-001", "Paris"),
    Store("store-002", "Lyon"),
    Store("store-003", "Lille"),
    Store("store-004", "Bordeaux"),
    Store("store-005", "Nantes"),
)

BRANDS: tuple[str, ...] = ("Northpeak", "Urbane", "Kestrel", "Maison Lune", "Fieldwork")

_RANGE: dict[str, tuple[str, tuple[tuple[str, float], ...]]] = {
    "shoes": (
        "SHO",
        (
            ("Trail Runner", 119.0),
            ("City Sneaker", 89.9),
            ("Leather Chelsea Boot", 159.0),
            ("Canvas Slip-On", 49.9),
            ("Court Classic", 79.9),
            ("Hiking Boot", 139.0),
            ("Suede Loafer", 109.0),
            ("Running Flat", 99.5),
        ),
    ),
    "socks": (
        "SOC",
        (
            ("Merino Hiking Sock", 16.9),
            ("Cotton Crew 3-Pack", 14.9),
            ("Ankle Sock 5-Pack", 12.5),
            ("Compression Sock", 24.0),
            ("Wool Lounge Sock", 19.9),
            ("Striped Dress Sock", 9.9),
            ("Running Sock", 11.9),
        ),
    ),
    "jackets": (
        "JAC",
        (
            ("Down Parka", 249.0),
            ("Rain Shell", 129.0),
            ("Denim Jacket", 89.0),
            ("Fleece Midlayer", 69.9),
            ("Wool Overcoat", 299.0),
            ("Quilted Vest", 79.0),
            ("Softshell Jacket", 119.0),
            ("Bomber Jacket", 139.0),
        ),
    ),
    "bags": (
        "BAG",
        (
            ("Daypack 20L", 74.9),
            ("Leather Tote", 149.0),
            ("Messenger Bag", 89.0),
            ("Weekender Duffel", 129.0),
            ("Crossbody Pouch", 39.9),
            ("Laptop Sleeve", 34.9),
            ("Travel Backpack 40L", 159.0),
        ),
    ),
    "shirts": (
        "SHI",
        (
            ("Oxford Shirt", 59.9),
            ("Linen Shirt", 64.9),
            ("Flannel Shirt", 54.9),
            ("Organic Cotton Tee", 24.9),
            ("Polo Shirt", 44.9),
            ("Merino Base Layer", 69.0),
            ("Chambray Shirt", 57.5),
            ("Graphic Tee", 29.9),
        ),
    ),
    "trousers": (
        "TRO",
        (
            ("Slim Chino", 69.9),
            ("Straight Jeans", 89.0),
            ("Cargo Trousers", 79.0),
            ("Hiking Pants", 94.9),
            ("Wool Trousers", 119.0),
            ("Joggers", 49.9),
            ("Corduroy Trousers", 84.0),
        ),
    ),
    "hats": (
        "HAT",
        (
            ("Wool Beanie", 24.9),
            ("Baseball Cap", 29.9),
            ("Bucket Hat", 34.9),
            ("Sun Hat", 39.0),
            ("Felt Fedora", 79.0),
            ("Trapper Hat", 49.9),
            ("Knit Headband", 19.9),
        ),
    ),
    "accessories": (
        "ACC",
        (
            ("Leather Belt", 44.9),
            ("Wool Scarf", 39.9),
            ("Touchscreen Gloves", 29.9),
            ("Sunglasses", 89.0),
            ("Card Wallet", 34.9),
            ("Water Bottle", 19.9),
            ("Umbrella", 27.5),
            ("Watch Strap", 24.9),
        ),
    ),
}

PRODUCTS: tuple[CatalogueProduct, ...] = tuple(
    CatalogueProduct(
        product_id=f"{prefix}-{index + 1:03d}",
        category=category,
        name=name,
        brand=BRANDS[(index + position) % len(BRANDS)],
        price=price,
    )
    for position, (category, (prefix, items)) in enumerate(_RANGE.items())
    for index, (name, price) in enumerate(items)
)

CATEGORIES: tuple[str, ...] = tuple(_RANGE)

BY_CATEGORY: dict[str, tuple[CatalogueProduct, ...]] = {
    category: tuple(p for p in PRODUCTS if p.category == category) for category in CATEGORIES
}
