#!/usr/bin/env bash
# Regenerates the DICOM test fixtures in this folder from ONE synthetic 12-bit greyscale chest-like
# image, with Debian's dcmtk and gdcm, plus a few real files from Debian's python3-pydicom.
#
#   bash src/test/resources/dicom/make-fixtures.sh            # the committed small fixtures, here
#   bash src/test/resources/dicom/make-fixtures.sh --large DIR # 2000 x 2500 versions for benchmarks
#
# Needs (Debian 12): apt-get install -y --no-install-recommends dcmtk libgdcm-tools openjph-tools python3-pydicom
# python3-numpy. Only /usr/bin/python3 is used, so a pyenv or venv python does not hide Debian's
# pydicom. The tests never run this script: they read the committed files.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
out="$here"
cols=320
rows=256
if [ "${1:-}" = "--large" ]; then
  out="${2:?usage: make-fixtures.sh --large DIR}"
  cols=2000
  rows=2500
fi
mkdir -p "$out"
for tool in dcmconv dcmcjpeg dcmcrle dcmcjpls dcmodify gdcmconv; do
  command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install dcmtk libgdcm-tools" >&2; exit 1; }
done
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# 1. The base image and the two images derived from it (8-bit, multi-frame), written uncompressed
#    (explicit VR little endian). Deterministic: fixed seed and fixed UIDs.
/usr/bin/python3 - "$work" "$cols" "$rows" <<'PY'
import sys
import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian

work, cols, rows = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(20240603)
y, x = np.mgrid[0:rows, 0:cols].astype(np.float64)
yy, xx = y / rows, x / cols
# Bright mediastinum and ribs, dark lung fields, film noise: enough texture that compression is
# not trivial and lossy codecs actually lose something.
img = 2600 - 1400 * np.exp(-(((xx - 0.3) / 0.16) ** 2 + ((yy - 0.5) / 0.3) ** 2))
img -= 1400 * np.exp(-(((xx - 0.7) / 0.16) ** 2 + ((yy - 0.5) / 0.3) ** 2))
img += 300 * np.sin(yy * 60) * (np.abs(xx - 0.5) > 0.1)
img += rng.normal(0, 40, img.shape)
img = np.clip(img, 0, 4095)
img[0, 0], img[-1, -1] = 0, 4095  # the full 12-bit range
base = img.astype(np.uint16)

ROOT = "1.2.826.0.1.3680043.10.1453"  # fixed test UIDs, never real patients


def write(name, pixels, bits_stored, frames=1, sop="1", signed=False):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.1.1"  # Digital X-Ray Image, For Presentation
    meta.MediaStorageSOPInstanceUID = f"{ROOT}.3.{sop}"
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = f"{ROOT}.9"
    ds = Dataset()
    ds.file_meta = meta
    ds.is_little_endian, ds.is_implicit_VR = True, False
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = f"{ROOT}.1"
    ds.SeriesInstanceUID = f"{ROOT}.2"
    ds.StudyDate = "20240603"
    ds.AccessionNumber = "ACC-0042"
    ds.Modality = "DX"
    ds.Manufacturer = "Chestlens Test Fixtures"
    ds.InstitutionName = "Test Hospital"
    ds.StationName = "DXROOM1"
    ds.ManufacturerModelName = "make-fixtures.sh"
    ds.PatientName = "Doe^Jane"
    ds.PatientID = "PID-TEST-0001"
    ds.PatientBirthDate = "19700101"
    ds.PatientSex = "F"
    ds.PatientAge = "054Y"
    ds.BodyPartExamined = "CHEST"
    ds.ViewPosition = "PA"
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    if frames > 1:
        ds.NumberOfFrames = frames
    ds.Rows, ds.Columns = pixels.shape[-2], pixels.shape[-1]
    ds.PixelSpacing = ["0.139", "0.139"]
    ds.BitsAllocated = 8 if bits_stored <= 8 else 16
    ds.BitsStored = bits_stored
    ds.HighBit = bits_stored - 1
    ds.PixelRepresentation = 1 if signed else 0
    ds.PresentationLUTShape = "IDENTITY"
    dtype = np.uint8 if bits_stored <= 8 else np.dtype("<i2" if signed else "<u2")
    ds.PixelData = pixels.astype(dtype).tobytes()
    ds.save_as(f"{work}/{name}", write_like_original=False)


write("base.dcm", base, 12)
write("base8.dcm", base >> 4, 8, sop="8")
# Three frames from the base at half size; frame k is the base shifted by k rows.
small = base[::2, ::2]
write("multi.dcm", np.stack([np.roll(small, 7 * k, axis=0) for k in range(3)]), 12, frames=3, sop="3")
# Signed 16-bit at half size: the base scaled to -16384..16376, so half the values are negative.
write("signed16.dcm", small.astype(np.int32) * 8 - 16384, 16, sop="16", signed=True)
PY
cd "$work"

# 2. The same stored values in every supported transfer syntax.
cp base.dcm "$out/explicit-le.dcm"                                   # 1.2.840.10008.1.2.1
dcmconv +ti base.dcm "$out/implicit-le.dcm"                           # 1.2.840.10008.1.2
dcmconv +tb base.dcm "$out/explicit-be.dcm"                           # 1.2.840.10008.1.2.2
dcmconv +td base.dcm "$out/deflated.dcm"                              # 1.2.840.10008.1.2.1.99
dcmcjpeg +e1 base.dcm "$out/jpeg-lossless-sv1.dcm"                    # 1.2.840.10008.1.2.4.70
dcmcjpeg +el +sv 6 base.dcm "$out/jpeg-lossless-p14.dcm"              # 1.2.840.10008.1.2.4.57
dcmcrle base.dcm "$out/rle.dcm"                                       # 1.2.840.10008.1.2.5
gdcmconv --j2k base.dcm "$out/j2k-lossless.dcm"                       # 1.2.840.10008.1.2.4.90
gdcmconv --j2k --lossy -r 10 base.dcm "$out/j2k-lossy.dcm" >/dev/null 2>&1 # 1.2.840.10008.1.2.4.91
cp base8.dcm "$out/explicit-le-8bit.dcm"
dcmcjpeg +eb base8.dcm "$out/jpeg-baseline-8bit.dcm"                  # 1.2.840.10008.1.2.4.50

# 3. Variants: MONOCHROME1, signed, multi-frame.
cp base.dcm mono1.dcm
dcmodify -nb -m "(0028,0004)=MONOCHROME1" mono1.dcm
dcmcjpeg +e1 mono1.dcm "$out/mono1-jpeg-lossless.dcm"
# Signed 12-bit: the base's stored values read as two's complement (bits 12-15 stay zero, so a
# decoder must sign-extend from the High Bit, not from bit 15).
cp base.dcm signed.dcm
dcmodify -nb -m "(0028,0103)=1" signed.dcm
dcmcrle signed.dcm "$out/signed12-rle.dcm"
dcmconv +td signed.dcm "$out/signed12-deflated.dcm"
cp signed16.dcm "$out/signed16-explicit-le.dcm"
dcmcjpeg +e1 signed16.dcm "$out/signed16-jpeg-lossless.dcm"
# every other predictor (selection value) of process 14 at 16 bits, and a point transform (the
# values are multiples of 8, so Pt 3 loses nothing and the decoder must shift them back up)
for sv in 2 3 4 5 6 7; do
  dcmcjpeg +el +sv "$sv" signed16.dcm "$out/signed16-jpeg-lossless-sv$sv.dcm"  # 1.2.840.10008.1.2.4.57
done
dcmcjpeg +el +sv 1 +pt 3 signed16.dcm "$out/signed16-jpeg-lossless-pt3.dcm"
dcmcrle signed16.dcm "$out/signed16-rle.dcm"
gdcmconv --j2k signed16.dcm "$out/signed16-j2k-lossless.dcm"
cp multi.dcm "$out/multiframe-3.dcm"
dcmcrle multi.dcm "$out/multiframe-3-rle.dcm"

# 4. Native codecs (NativeCodecs: CharLS, OpenJPEG): JPEG-LS lossless and near-lossless (NEAR 3), and
#    HTJ2K lossless written by OpenJPH's ojph_compress (Debian openjph-tools) and wrapped by pydicom
#    (which does not know the HTJ2K UID yet, so it is registered first).
dcmcjpls base.dcm "$out/jpeg-ls-lossless.dcm"                         # 1.2.840.10008.1.2.4.80
dcmcjpls +en +md 3 base.dcm "$out/jpeg-ls-near-lossless.dcm"          # 1.2.840.10008.1.2.4.81
dcmcjpls signed16.dcm "$out/signed16-jpeg-ls.dcm"
command -v ojph_compress >/dev/null || { echo "missing ojph_compress: apt-get install openjph-tools" >&2; exit 1; }
/usr/bin/python3 - "$work" "$out" <<'PY'
import subprocess, sys
import pydicom
from pydicom._uid_dict import UID_dictionary
from pydicom.encaps import encapsulate
UID_dictionary['1.2.840.10008.1.2.4.201'] = ('High-Throughput JPEG 2000 Image Compression (Lossless Only)',
                                           'Transfer Syntax', '', '', 'HTJ2KLossless')
work, out = sys.argv[1], sys.argv[2]
for src, dst in (('base.dcm', 'htj2k-lossless.dcm'), ('signed16.dcm', 'signed16-htj2k-lossless.dcm')):
  ds = pydicom.dcmread(f'{work}/{src}')
  arr = ds.pixel_array
  rows, cols = arr.shape
  if ds.PixelRepresentation:
      open(f'{work}/in.rawl', 'wb').write(arr.astype('<i2').tobytes())
      cmd = ['ojph_compress', '-i', f'{work}/in.rawl', '-dims', f'{{{cols},{rows}}}', '-num_comps', '1',
             '-signed', 'true', '-bit_depth', str(ds.BitsStored), '-downsamp', '{1,1}']
  else:
      with open(f'{work}/in.pgm', 'wb') as f:
          f.write(f'P5\n{cols} {rows}\n{(1 << ds.BitsStored) - 1}\n'.encode())
          f.write(arr.astype('>u2').tobytes())
      cmd = ['ojph_compress', '-i', f'{work}/in.pgm']
  subprocess.run(cmd + ['-o', f'{work}/out.j2c', '-reversible', 'true'], check=True)
  ds.PixelData = encapsulate([open(f'{work}/out.j2c', 'rb').read()])
  ds['PixelData'].VR = 'OB'
  ds.file_meta.TransferSyntaxUID = '1.2.840.10008.1.2.4.201'
  ds.save_as(f'{out}/{dst}', write_like_original=False)
PY

# 5. 12-bit lossy JPEG (NativeCodecs: gdcm's 12-bit IJG library through src/main/c/jpeg12.c), with
#    dcmtk's own decode of each (dcmdjpeg, deflated to save room) as the exact reference. The
#    progressive file is labelled JPEG Extended (…4.51, same UID length as …4.55, so only the bytes
#    change), as some writers do and as 8-bit progressive frames in …4.51 are read already.
dcmcjpeg +ee base.dcm "$out/jpeg-extended-12bit.dcm"                  # 1.2.840.10008.1.2.4.51
dcmcjpeg +ep base.dcm progressive.dcm                                 # 1.2.840.10008.1.2.4.55
/usr/bin/python3 - progressive.dcm "$out/jpeg-progressive-12bit.dcm" <<'PY'
import sys
data = open(sys.argv[1], 'rb').read()
assert data.count(b'1.2.840.10008.1.2.4.55') == 1
open(sys.argv[2], 'wb').write(data.replace(b'1.2.840.10008.1.2.4.55', b'1.2.840.10008.1.2.4.51'))
PY
for f in jpeg-extended-12bit jpeg-progressive-12bit; do
  dcmdjpeg "$out/$f.dcm" decoded.dcm
  dcmconv +td decoded.dcm "$out/$f-dcmdjpeg.dcm"
done
if [ "$out" = "$here" ]; then
  dcmdjpeg /usr/lib/python3/dist-packages/pydicom/data/test_files/JPGExtended.dcm decoded.dcm
  dcmconv +td decoded.dcm "$out/pydicom-JPGExtended-dcmdjpeg.dcm"
fi
# Rejected on purpose: palette colour (422).
dcmcrle base8.dcm palette.dcm
dcmodify -nb -m "(0028,0004)=PALETTE COLOR" palette.dcm
cp palette.dcm "$out/palette-rle.dcm"

# 6. Real files that others wrote (pydicom's test files, MIT licence; see README.txt here).
if [ "$out" = "$here" ]; then
  src=/usr/lib/python3/dist-packages/pydicom/data/test_files
  for f in MR_small.dcm MR_small_implicit.dcm MR_small_bigendian.dcm MR_small_RLE.dcm \
           MR_small_jp2klossless.dcm MR_small_jpeg_ls_lossless.dcm CT_small.dcm image_dfl.dcm \
           JPGExtended.dcm SC_rgb_rle.dcm SC_rgb_jpeg_dcmtk.dcm MR_truncated.dcm; do
    cp "$src/$f" "$out/pydicom-$f"
  done
fi
ls -l "$out"
