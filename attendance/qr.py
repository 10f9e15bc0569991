"""QR images made on the server (qrcode's SVG factory: no Pillow, no external service)."""

import qrcode
import qrcode.image.svg


def qr_svg(text: str) -> str:
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    return image.to_string(encoding="unicode")
