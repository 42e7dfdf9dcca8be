#!/usr/bin/env python3
"""Writes a small, valid PDF programme (two pages of text, Helvetica in
WinAnsiEncoding so that accents are real characters) to the path given,
or to programme.pdf next to this script. Deterministic: the committed
tests/data/programme.pdf is this script's output, and the tests can
make variants (another version, a broken file) the same way."""
import sys


def pdf(pages):
    objs = []
    # 1 catalog, 2 pages, 3 font, then a page and its content per page
    kids = " ".join("%d 0 R" % (4 + 2 * i) for i in range(len(pages)))
    objs.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objs.append(("<< /Type /Pages /Kids [%s] /Count %d >>"
                 % (kids, len(pages))).encode())
    objs.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica"
                b" /Encoding /WinAnsiEncoding >>")
    for i, lines in enumerate(pages):
        objs.append(("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842]"
                     " /Resources << /Font << /F1 3 0 R >> >>"
                     " /Contents %d 0 R >>" % (5 + 2 * i)).encode())
        ops = [b"BT /F1 12 Tf 14 TL 56 780 Td"]
        for line in lines:
            s = line.encode("cp1252").replace(b"\\", b"\\\\")
            s = s.replace(b"(", b"\\(").replace(b")", b"\\)")
            ops.append(b"(" + s + b") Tj T*")
        ops.append(b"ET")
        stream = b"\n".join(ops)
        objs.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream +
                    b"\nendstream")
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += (b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n"
            % (len(objs) + 1, xref))
    return bytes(out)


PAGES = [
    ["LOGEMENT",
     "1. Construire 10 000 logements sociaux par an dans la ville.",
     "2. Encadrer les loyers dans tous les quartiers tendus."],
    ["TRANSPORTS",
     "3. Rendre les transports en commun gratuits pour les moins de 26 ans.",
     "4. Créer 50 kilomètres de pistes cyclables sécurisées."],
]

if __name__ == "__main__":
    path = sys.argv[1] if len(sys.argv) > 1 else __file__.rsplit("/", 1)[0] + "/programme.pdf"
    with open(path, "wb") as f:
        f.write(pdf(PAGES))
