"""Writes a synthetic sales CSV of about the requested size (bytes), fast.

Used by the benchmarks; rows look like data.csv (time, strings, ints,
decimals, some empty cells).
"""
import random
import sys

target = int(sys.argv[2]) if len(sys.argv) > 2 else 1 << 30
path = sys.argv[1]
random.seed(7)
regions = ["North America", "Europe", "Asia Pacific", "Latin America"]
channels = ["online", "retail", "partner"]
products = ["Laptop Pro 14", "Wireless Mouse", "USB-C Hub", "Tablet 11", "Smartwatch S"]
# A block of pre-generated lines repeated with changing ids keeps it fast.
block = []
for i in range(10000):
    day = 1 + i % 28
    block.append(
        (
            f"2024-{1 + i % 12:02d}-{day:02d} {i % 24:02d}:{i % 60:02d}:00",
            random.choice(regions),
            random.choice(channels),
            random.choice(products),
            str(random.randint(1, 10)),
            f"{random.uniform(5, 1500):.2f}",
            "" if i % 37 == 0 else f"{random.choice([0, 0.05, 0.1]):.2f}",
        )
    )
written = 0
n = 0
with open(path, "w") as f:
    header = "timestamp,order_id,region,channel,product,quantity,unit_price,discount\n"
    f.write(header)
    written += len(header)
    while written < target:
        lines = []
        for row in block:
            lines.append(f"{row[0]},ORD-{n},{row[1]},{row[2]},{row[3]},{row[4]},{row[5]},{row[6]}\n")
            n += 1
        chunk = "".join(lines)
        f.write(chunk)
        written += len(chunk)
print(n)
