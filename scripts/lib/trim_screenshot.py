"""Trims the empty canvas below a screenshot and makes it a small palette PNG. For an
email (unless --no-button) it also prints the contrast of its main button (the largest
area of the theme's button colour, or of what a dark mode turned it into) against the
text on it (at least 4.5:1) and of the button's edge against the card around it (at
least 3:1), and exits 1 when either is lower."""
import sys

from PIL import Image

path = sys.argv[1]
measure = "--no-button" not in sys.argv[2:]
img = Image.open(path).convert("RGB")
w, h = img.size
bg = img.getpixel((1, h - 1))
px = img.load()
bottom = h
while bottom > 1 and all(px[x, bottom - 1] == bg for x in range(0, w, 3)):
    bottom -= 1
img = img.crop((0, 0, w, min(h, bottom + 24)))


def luminance(c):
    def ch(v):
        v = v / 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = c
    return 0.2126 * ch(r) + 0.7152 * ch(g) + 0.0722 * ch(b)


def contrast(a, b):
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


# The button: the most common strongly coloured pixel (blue-ish, whatever dark mode did).
counts = {}
for c in (img.get_flattened_data() if hasattr(img, 'get_flattened_data') else img.getdata()) if measure else []:
    if max(c) - min(c) > 80:
        counts[c] = counts.get(c, 0) + 1
low = False
if counts:
    button = max(counts, key=counts.get)
    # The button's box: among the rows richest in its colour, the first whose run of it
    # is also at least 20 px tall at its left edge (a link's underline is not).
    def box(row):
        xs = [x for x in range(w) if px[x, row] == button]
        x0, x1 = xs[0], xs[-1]
        y0 = y1 = row
        while y0 > 0 and px[x0 + 2, y0 - 1] == button:
            y0 -= 1
        while y1 < img.size[1] - 1 and px[x0 + 2, y1 + 1] == button:
            y1 += 1
        return x0, x1, y0, y1

    richest = sorted(range(img.size[1]), key=lambda y: -sum(px[x, y] == button for x in range(0, w, 2)))
    x0, x1, y0, y1 = next((b for b in map(box, richest[:400]) if b[3] - b[2] >= 20), box(richest[0]))
    # Its text: the pixel inside the box that contrasts most with it.
    text = max(
        (px[x, y] for y in range(y0, y1 + 1) for x in range(x0, x1 + 1)),
        key=lambda c: contrast(c, button),
    )
    # Its edge: the pixels just left of the box (a border, if any) against the card 12 px
    # out, whichever of the fill and the border stands out more.
    ymid = (y0 + y1) // 2
    left = [px[x, ymid] for x in range(max(x0 - 1, 0), max(x0 - 13, 0), -1)]
    card = left[-1] if left else button
    edge = max([button] + left[:4], key=lambda c: contrast(c, card))
    hex_ = lambda c: '#%02x%02x%02x' % c
    text_ratio, edge_ratio = contrast(button, text), contrast(edge, card)
    low = text_ratio < 4.5 or edge_ratio < 3
    print(f"{path}: button {hex_(button)} text {hex_(text)} contrast {text_ratio:.1f}:1;"
          f" edge {hex_(edge)} on card {hex_(card)} {edge_ratio:.1f}:1{'  LOW' if low else ''}")
img.quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
sys.exit(1 if low else 0)
