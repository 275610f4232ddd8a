#!/usr/bin/env python3
"""Makes the documents' embedded font: Noto Sans CJK SC (SIL Open Font License 1.1), cut down
to the characters of GB 2312 (every simplified Chinese character in everyday use, 6,763 of
them, and its symbols), ASCII, Latin-1, general punctuation, CJK symbols and full-width forms.

    apt-get install fonts-noto-cjk && python3 -m pip install fonttools
    python3 subset.py            # writes NotoSansSC-Arrears-{Regular,Bold}.otf here

A lender whose borrowers' names need characters outside GB 2312 points `documents.font_dir`
at the full fonts instead (see the README)."""
import pathlib
import subprocess
import sys

HERE = pathlib.Path(__file__).parent
SOURCE = "/usr/share/fonts/opentype/noto/NotoSansCJK-{}.ttc"
SC = 2  # Noto Sans CJK SC in the collection


def codepoints():
    points = set(range(0x20, 0x7F)) | set(range(0xA0, 0x100))
    points |= set(range(0x2000, 0x2070)) | set(range(0x3000, 0x3040)) | set(range(0xFF00, 0xFFF0))
    points |= {0x2116, 0x2122, 0x2190, 0x2192, 0x25A0, 0x25CB, 0x25CF, 0x2713}
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                points.add(ord(bytes([hi, lo]).decode("gb2312")))
            except UnicodeDecodeError:
                pass
    return sorted(points)


def main():
    unicodes = ",".join(f"U+{p:04X}" for p in codepoints())
    for weight in ("Regular", "Bold"):
        out = HERE / f"NotoSansSC-Arrears-{weight}.otf"
        subprocess.run(
            [sys.executable, "-m", "fontTools.subset", SOURCE.format(weight), f"--font-number={SC}",
             f"--unicodes={unicodes}", "--no-hinting", "--layout-features=kern,palt,vert,liga",
             "--name-IDs=*", f"--output-file={out}"],
            check=True,
        )
        print(out, out.stat().st_size)


if __name__ == "__main__":
    main()
