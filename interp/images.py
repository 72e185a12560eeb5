"""Read a user's images (PNG/JPEG files, ``.npy``/``.npz`` arrays) as a model takes them.

:func:`load_images` looks at the files once (the headers of image files, the header of a
``.npy``) and returns an :class:`ImageSet`: a lazy sequence that reads and converts images
only when they are asked for, a batch at a time. A ``.npy`` file is memory-mapped, so a
set of 100,000 images is never held in memory whole.

The conversion to what the model takes, in order, each step only when needed:

1. **channels**: to grayscale (Pillow's ``L``: ``0.299 R + 0.587 G + 0.114 B``) or to RGB
   (a gray image repeated in the three channels); an alpha channel is dropped;
2. **size**: resized bilinearly (Pillow) to the model's input height and width;
3. **scale**: the range of the pixels' type becomes ``low``-``high`` linearly, by default
   0-1: 0-255 for 8-bit files and ``uint8`` arrays, 0-65535 for 16-bit PNG files and
   ``uint16`` arrays. Other integer arrays (signed, or wider than 16 bits: 12-bit
   microscope data in ``int32``, say) have no such range and are refused unless the scale
   says which values become what, ``((from_low, from_high), (low, high))``. Float arrays
   are taken as already scaled and used as they are, unless a scale is given;
4. **layout**: channels last or first, as the model's layers read them, or no channel axis
   when the model's input has none.

An array already shaped exactly as the model takes it skips steps 1, 2 and 4. What was done
is written out in :attr:`ImageSet.conversion`, and the scaling rule used in
:attr:`ImageSet.scaling`. Images larger than ``max_pixels`` (height x width, default
:data:`MAX_PIXELS`) are refused, by name, from their header, before they are decoded.
"""

from __future__ import annotations

import contextlib
import dataclasses
import numbers
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from . import _interrupt
from ._validate import check_int, describe

#: File name endings read as images (any case).
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
#: The weights of Pillow's ``convert("L")``, used for arrays too.
LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)
#: The largest image (height x width) read by default: 64 million pixels, 8000 x 8000.
#: Decoding one takes 4 to 12 bytes a pixel for a moment (0.3 to 0.8 GB at the limit).
MAX_PIXELS = 64_000_000
#: Integer types scaled by their own range when no scale says otherwise.
TYPE_RANGES = {np.dtype(np.uint8): (0.0, 255.0), np.dtype(np.uint16): (0.0, 65535.0)}


class ImageError(ValueError):
    """Images that cannot be read, or cannot be converted to what the model takes."""


@dataclasses.dataclass(frozen=True)
class Target:
    """What one image must become: the model's input, read from its input spec."""

    shape: tuple[int | None, ...]
    height: int | None
    width: int | None
    channels: int  # 1 or 3 (or the spec's own count when arrays are used as they are)
    layout: str  # "channels_last", "channels_first" or "none" (no channel axis)


def _target(func: str, spec) -> Target | None:
    """Return the image form of *spec*, or ``None`` if the model does not take 2-D images."""
    shape, axis = spec.shape, spec.channel_axis
    spatial = spec.map_shape
    if len(spatial) != 2:
        return None
    if axis is None:
        return Target(shape, spatial[0], spatial[1], 1, "none")
    channels = shape[axis]
    if channels not in (1, 3):
        return None
    layout = "channels_first" if axis == 0 else "channels_last"
    return Target(shape, spatial[0], spatial[1], int(channels), layout)


def _option(func: str, name: str) -> str:
    """How an argument is spelled for the caller: ``--max-pixels`` for the command, else as is."""
    return f"--{name.replace('_', '-')}" if func.startswith("interp ") else name


Range = tuple[float, float]


def parse_scale(func: str, name: str, scale: object) -> tuple[Range | None, Range] | None:
    """Return *scale* as ``(source, target)``, or ``None``.

    *target* ``(low, high)`` is what the values become; *source* ``(from_low, from_high)``
    the values that become them, or ``None`` for the range of the pixels' type. A string is
    ``"LOW,HIGH"`` or ``"FROM_LOW,FROM_HIGH:LOW,HIGH"``; a pair is ``(low, high)`` or
    ``((from_low, from_high), (low, high))``.
    """
    if scale is None:
        return None
    if isinstance(scale, str):
        parts = scale.replace(" ", "").split(":")
        try:
            pairs = [tuple(float(v) for v in part.split(",")) for part in parts]
        except ValueError:
            pairs = []
        if len(pairs) == 1:
            pairs = [None, pairs[0]]
    elif isinstance(scale, (tuple, list)) and len(scale) == 2 and all(
            isinstance(v, numbers.Real) and not isinstance(v, bool) for v in scale):
        pairs = [None, tuple(float(v) for v in scale)]
    elif isinstance(scale, (tuple, list)) and len(scale) == 2 and all(
            (part is None and i == 0) or (isinstance(part, (tuple, list)) and all(
                isinstance(v, numbers.Real) and not isinstance(v, bool) for v in part))
            for i, part in enumerate(scale)):
        pairs = [None if part is None else tuple(float(v) for v in part) for part in scale]
    else:
        raise TypeError(f"{func}: {name} must be a pair (low, high), e.g. (0, 1), or a pair of "
                        f"pairs ((from_low, from_high), (low, high)), got {describe(scale)}")
    valid = (len(pairs) == 2 and all(p is None or (len(p) == 2 and all(np.isfinite(p)))
                                     for p in pairs)
             and pairs[1] is not None and pairs[1][0] != pairs[1][1]
             and (pairs[0] is None or pairs[0][0] < pairs[0][1]))
    if not valid:
        raise ImageError(f"{func}: {name} must be two different finite numbers LOW,HIGH that "
                         "the range of the pixels' type becomes (0-255 for 8 bits, 0-65535 "
                         "for 16), e.g. 0,1 or -1,1; or FROM_LOW,FROM_HIGH:LOW,HIGH, the "
                         "values FROM_LOW < FROM_HIGH and what they become, e.g. 0,4095:0,1; "
                         f"got {scale!r}")
    return pairs[0], pairs[1]


def _scale_words(func: str, scale: tuple[Range | None, Range]) -> str:
    """*scale* as the caller spelled it: ``--scale 0,4095:0,1`` or ``scale=((0, 4095), (0, 1))``."""
    source, target = scale
    if func.startswith("interp "):
        text = ",".join(_fmt(v) for v in target)
        if source is not None:
            text = ",".join(_fmt(v) for v in source) + ":" + text
        return f"--scale {text}"
    pair = f"({_fmt(target[0])}, {_fmt(target[1])})"
    if source is not None:
        pair = f"(({_fmt(source[0])}, {_fmt(source[1])}), {pair})"
    return f"scale={pair}"


@dataclasses.dataclass(frozen=True)
class Scaling:
    """How the pixel values became the model's input values: the rule, in numbers and words.

    Attributes
    ----------
    rule : str
        ``"type"``: the range of the pixels' type (0-255 for 8-bit files and ``uint8``,
        0-65535 for 16-bit PNG files and ``uint16``) became *target*. ``"given"``: the
        values *source* given with the scale became *target*. ``"float 0-255"``: float
        values 0-255 became *target* (a scale of two numbers given for float pixels).
        ``"as is"``: float values used unchanged.
    source : (float, float) or None
        The values that became *target* (``None`` for ``"as is"``).
    target : (float, float) or None
        What they became, linearly.
    text : str
        The rule in words, as the report and :attr:`ImageSet.conversion` state it.

    """

    rule: str
    source: Range | None
    target: Range | None
    text: str

    def __str__(self) -> str:
        return self.text


def _linear(source: Range, target: Range) -> str:
    return (f"{_fmt(source[0])}-{_fmt(source[1])} scaled linearly to "
            f"{_fmt(target[0])}-{_fmt(target[1])}")


def _fmt(value: float) -> str:
    return f"{value:g}"


class ImageSet:
    """Images read lazily from a folder or an array file, converted for one model.

    Made by :func:`load_images`. Indexing with a slice or an array of indices returns a
    float32 batch shaped as the model takes it; :meth:`batches` streams them all.

    Attributes
    ----------
    source : pathlib.Path or None
        Where the images come from (``None`` for an array passed in memory).
    kind : str
        ``"folder"``, ``"image"`` (one file), ``"npy"``, ``"npz"`` or ``"array"``.
    origin : str
        Where the images come from, in words.
    names : list of str
        One name per image: the file's path relative to the folder, or ``"#i"``.
    shape : tuple of int
        The shape of the whole converted set, ``(n, *one image)``.
    conversion : tuple of str
        What was done to the images, in words.
    scaling : Scaling
        The scaling rule used: which values became which, and why.

    """

    def __init__(self, *, source, kind, names, read, target, model_shape, scaling,
                 conversion, as_is=False, origin=None) -> None:
        self.source = source
        self.origin = origin or (str(source) if source is not None else "an array in memory")
        self.kind = kind
        self.names = names
        self._read = read  # indices -> raw pixels (n, h, w) or (n, h, w, c), channels last
        self._target = target
        self._model_shape = tuple(model_shape)
        self.scaling = scaling
        self._as_is = as_is
        self.conversion = tuple(conversion)
        self._kept: dict[int, np.ndarray] | None = None  # see _keeping
        self._keep = 0

    def __len__(self) -> int:
        return len(self.names)

    def __repr__(self) -> str:
        where = self.source if self.source is not None else "memory"
        return f"<ImageSet of {len(self)} images from {where}, each {self._model_shape}>"

    @property
    def shape(self) -> tuple[int, ...]:
        """``(n, *one image)`` as the model takes it."""
        return (len(self), *self._model_shape)

    def _indices(self, index: object) -> np.ndarray:
        if isinstance(index, slice):
            span = range(len(self))[index]
            return np.arange(span.start, span.stop, span.step)
        array = np.asarray(index)
        if array.dtype.kind not in "iu" or array.ndim != 1:
            raise TypeError(f"ImageSet: index must be an int, a slice or a 1-D array of ints, "
                            f"got {describe(index)}")
        if array.size and (array.min() < -len(self) or array.max() >= len(self)):
            raise IndexError(f"ImageSet: index out of range for {len(self)} images")
        return array % len(self) if array.size else array.astype(np.int64)

    def _keeping(self, n: int) -> ImageSet:
        """Return a copy that keeps the first *n* images once read (the report's few).

        The report reads its first images in every section; image files among them are
        then decoded once, not once per section. Memory: *n* converted images.
        """
        copy = object.__new__(ImageSet)
        copy.__dict__.update(self.__dict__)
        copy._kept, copy._keep = {}, n
        return copy

    def pixels(self, index: object) -> np.ndarray:
        """Return converted images before scaling and layout: float32, channels last or gray."""
        indices = self._indices(index)
        if self._kept is None or not len(indices) or indices.min() >= self._keep:
            return self._read(indices)
        missing = np.array(sorted({int(i) for i in indices if int(i) not in self._kept}),
                           dtype=np.int64)
        fresh = dict(zip(missing.tolist(), self._read(missing), strict=True)) \
            if len(missing) else {}
        for i, pixels in fresh.items():
            if i < self._keep:
                self._kept[i] = pixels
        return np.stack([self._kept[i] if i in self._kept else fresh[i]
                         for i in indices.tolist()])

    def __getitem__(self, index: object) -> np.ndarray:
        if isinstance(index, numbers.Integral) and not isinstance(index, bool):
            return self[np.array([int(index)])][0]
        return self._to_model(self.pixels(index))

    def _to_model(self, pixels: np.ndarray) -> np.ndarray:
        source, target = self.scaling.source, self.scaling.target
        if source is not None and target is not None:
            factor = (target[1] - target[0]) / (source[1] - source[0])
            if source[0] != 0:
                pixels = pixels - np.float32(source[0])
            pixels = pixels * np.float32(factor) + np.float32(target[0])
        pixels = pixels.astype(np.float32, copy=False)
        if self._as_is:
            return pixels
        if self._target.layout == "none":
            return pixels
        if pixels.ndim == 3:  # gray (n, h, w) -> one channel
            pixels = pixels[..., np.newaxis]
        if self._target.layout == "channels_first":
            pixels = np.moveaxis(pixels, -1, 1)
        return np.ascontiguousarray(pixels)

    def display(self, index: object) -> np.ndarray:
        """Images for drawing: 0 black, 1 white, channels last, ``(n, h, w)`` or ``(n, h, w, 3)``.

        Scaled images are drawn with the start of the scaled range (the type's 0, or the
        given *from_low*) black and its end white; float images used as they are, as they
        are. For images used without conversion, this is the model's input itself, moved
        to channels last.
        """
        pixels = self.pixels(index)
        if self._as_is:
            if self._target is not None and self._target.layout == "channels_first":
                pixels = np.moveaxis(pixels, 1, -1)
            if pixels.ndim == 4 and pixels.shape[-1] == 1:
                pixels = pixels[..., 0]
            return pixels
        source = self.scaling.source
        if source is None:
            return pixels
        return (pixels - np.float32(source[0])) / np.float32(source[1] - source[0])

    def batches(self, batch_size: int = 256, stop: int | None = None) -> Iterator[np.ndarray]:
        """Yield the images (the first *stop*, or all) in batches shaped as the model takes them."""
        check_int("ImageSet.batches", "batch_size", batch_size, minimum=1)
        end = len(self) if stop is None else min(stop, len(self))
        for start in range(0, end, batch_size):
            _interrupt.check()  # a Ctrl-C lost in a garbage-collection callback stops here
            yield self[start:min(start + batch_size, end)]


# ---- arrays ----------------------------------------------------------------------------

class Numbered(Sequence):
    """The names ``"#0"``, ``"#1"``, ... of *n* images, made when asked for (no list of n)."""

    def __init__(self, n: int, prefix: str = "#") -> None:
        self.n, self.prefix = n, prefix

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(self.n)[index]]
        if not -self.n <= index < self.n:
            raise IndexError(index)
        return f"{self.prefix}{index % self.n}"

    def __eq__(self, other: object) -> bool:
        return list(self) == list(other) if isinstance(other, Sequence) else NotImplemented


def _array_layout(shape: tuple[int, ...]) -> str | None:
    """How one array item holds an image: "gray", "last" or "first" (channels), or None."""
    if len(shape) == 2:
        return "gray"
    if len(shape) == 3 and shape[2] in (1, 3, 4):
        return "last"
    if len(shape) == 3 and shape[0] in (1, 3, 4):
        return "first"
    return None


def _matches(shape: tuple[int, ...], spec_shape: tuple[int | None, ...]) -> bool:
    return len(shape) == len(spec_shape) and all(
        want is None or want == got for want, got in zip(spec_shape, shape, strict=True))


def _resize(pixels: np.ndarray, height: int, width: int) -> np.ndarray:
    """Resize a batch (n, h, w[, c]) of float pixels bilinearly with Pillow, channel by channel."""
    from PIL import Image

    if pixels.shape[1:3] == (height, width):
        return pixels
    gray = pixels.ndim == 3
    stack = pixels[..., np.newaxis] if gray else pixels
    out = np.empty((len(stack), height, width, stack.shape[-1]), np.float32)
    for i, image in enumerate(stack):
        for c in range(stack.shape[-1]):
            plane = Image.fromarray(np.ascontiguousarray(image[:, :, c], dtype=np.float32),
                                    mode="F")
            out[i, :, :, c] = np.asarray(plane.resize((width, height), Image.Resampling.BILINEAR))
    return out[..., 0] if gray else out


def _channels(pixels: np.ndarray, want: int) -> np.ndarray:
    """Convert a batch (n, h, w) or (n, h, w, c) of float pixels to *want* channels."""
    if pixels.ndim == 4 and pixels.shape[-1] == 4:
        pixels = pixels[..., :3]  # drop alpha
    if pixels.ndim == 4 and pixels.shape[-1] == 1:
        pixels = pixels[..., 0]
    if want == 1:
        return pixels @ LUMA if pixels.ndim == 4 else pixels
    if pixels.ndim == 3:
        return np.repeat(pixels[..., np.newaxis], 3, axis=-1)
    return pixels


def _array_scaling(func: str, name: str, array: np.ndarray, scale, described: str) -> Scaling:
    """Return the scaling rule for *array*'s type, or raise an :class:`ImageError` if none fits."""
    dtype = array.dtype
    if scale is not None and scale[0] is not None:
        return Scaling("given", scale[0], scale[1],
                       f"{dtype} pixel values {_linear(*scale)} (as given: "
                       f"{_scale_words(func, scale)})")
    target = (0.0, 1.0) if scale is None else scale[1]
    if dtype.kind == "f":
        if scale is None:
            return Scaling("as is", None, None,
                           f"{dtype} values used as they are (float arrays are taken as "
                           f"already scaled, unless a scale is given: {_option(func, 'scale')})")
        return Scaling("float 0-255", (0.0, 255.0), target,
                       f"{dtype} pixel values {_linear((0.0, 255.0), target)} (a scale of two "
                       "numbers takes float pixels to run 0-255; give FROM_LOW,FROM_HIGH:"
                       "LOW,HIGH for another range)")
    if dtype in TYPE_RANGES:
        source = TYPE_RANGES[dtype]
        hint = (f"; for 12-bit data say so, e.g. {_scale_words(func, ((0, 4095), target))}"
                if dtype == np.uint16 else "")
        return Scaling("type", source, target,
                       f"{dtype} pixel values {_linear(source, target)} (the range of "
                       f"{dtype}{hint})")
    low, high = (np.min(array), np.max(array)) if array.size else (0, 0)
    own = _scale_words(func, ((float(low), float(high) if high > low else float(low) + 1),
                              target))
    kind = "signed integers" if dtype.kind == "i" else "integers wider than 16 bits"
    raise ImageError(
        f"{func}: {name} holds {dtype} pixels ({described}; values {low} to {high}), and "
        f"{kind} have no range that says what is black and what is white: interp scales "
        "uint8 (0-255) and uint16 (0-65535) pixels by their type's range, and other types "
        f"only as told. Say which values become what: {_scale_words(func, ((0, 4095), target))} "
        f"for 12-bit data, say, or {own} for these values' own range")


def _check_pixels(func: str, name: str, height: int, width: int, max_pixels: int,
                  what: str) -> None:
    if height * width > max_pixels:
        raise ImageError(
            f"{func}: {name}: {what} is {width}x{height} pixels (width x height, "
            f"{height * width / 1e6:.1f} million), more than {_option(func, 'max_pixels')} "
            f"allows ({max_pixels:,}); shrink it, or raise the limit if this machine has the "
            "memory to decode it")


def _array_images(func: str, name: str, array: np.ndarray, source: Path | None, kind: str,
                  target: Target | None, spec, scale, described: str,
                  origin: str | None = None, max_pixels: int = MAX_PIXELS) -> ImageSet:
    if array.dtype.kind not in "iuf" or array.ndim < 2:
        raise ImageError(f"{func}: {name} must be an array of images (integer or float "
                         f"pixels, one image per row), got {described}: "
                         f"{describe(array)}")
    n = len(array)
    if n == 0:
        raise ImageError(f"{func}: {name} holds no images: {describe(array)}")
    item = tuple(int(d) for d in array.shape[1:])
    scaling = _array_scaling(func, name, array, scale, described)
    names = Numbered(n)
    if _matches(item, spec.shape):
        spatial = [d for i, d in enumerate(item) if i != spec.channel_axis] \
            if spec.channel_axis is not None else list(item)
        if len(spatial) >= 2:
            _check_pixels(func, name, spatial[0], int(np.prod(spatial[1:])), max_pixels,
                          f"each image ({described})")

        def read(indices: np.ndarray) -> np.ndarray:
            return _take(array, indices).astype(np.float32)

        conversion = [f"{n:,} images {described}, already shaped {item} as the model takes "
                      "them: used without conversion", scaling.text]
        return ImageSet(source=source, kind=kind, names=names, read=read, target=target,
                        model_shape=spec.shape, scaling=scaling,
                        conversion=conversion, as_is=True, origin=origin)
    layout = _array_layout(item)
    if target is None or layout is None:
        wanted = spec.batch()
        raise ImageError(
            f"{func}: {name} holds images shaped {item} ({described}), which cannot be "
            f"converted to what the model takes, {wanted}: conversion needs images shaped "
            "(h, w), (h, w, c) or (c, h, w) with c = 1, 3 or 4, and a model that takes 2-D "
            "grayscale or RGB images; otherwise pass an array shaped exactly as the model "
            "takes it"
        )
    h0, w0 = (item[1], item[2]) if layout == "first" else (item[0], item[1])
    _check_pixels(func, name, h0, w0, max_pixels, f"each image ({described})")
    height = target.height if target.height is not None else (
        item[1] if layout == "first" else item[0])
    width = target.width if target.width is not None else (
        item[2] if layout == "first" else item[1])

    def read(indices: np.ndarray) -> np.ndarray:
        pixels = _take(array, indices).astype(np.float32)
        if layout == "first":
            pixels = np.moveaxis(pixels, 1, -1)
        pixels = _channels(pixels, target.channels)
        return _resize(pixels, height, width)

    c0 = 1 if layout == "gray" else (item[0] if layout == "first" else item[2])
    conversion = [f"{n:,} images {described}, each {item} "
                  f"({_layout_words(layout, c0)})"]
    conversion += _steps(c0, target.channels, (h0, w0), (height, width), target)
    conversion.append(scaling.text)
    return ImageSet(source=source, kind=kind, names=names, read=read, target=target,
                    model_shape=_model_shape(target, height, width), scaling=scaling,
                    conversion=conversion, origin=origin)


def _take(array: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """Read rows *indices* of a (memory-mapped) array, contiguous runs as slices."""
    if len(indices) and np.all(np.diff(indices) == 1):
        return np.asarray(array[indices[0]:indices[-1] + 1])
    return np.asarray(array[np.asarray(indices)])


def _layout_words(layout: str, channels: int) -> str:
    kinds = {1: "grayscale", 3: "RGB", 4: "RGBA"}
    where = {"gray": "no channel axis", "last": "channels last", "first": "channels first"}
    return f"{kinds.get(channels, f'{channels} channels')}, {where[layout]}"


def _model_shape(target: Target, height: int, width: int) -> tuple[int, ...]:
    if target.layout == "none":
        return (height, width)
    if target.layout == "channels_first":
        return (target.channels, height, width)
    return (height, width, target.channels)


def _steps(channels: int, want: int, size: tuple[int, int], new: tuple[int, int],
           target: Target) -> list[str]:
    steps = []
    if channels == 4:
        steps.append("alpha channel dropped")
    if want == 1 and channels in (3, 4):
        steps.append("RGB converted to grayscale (0.299 R + 0.587 G + 0.114 B, as Pillow's L)")
    if want == 3 and channels == 1:
        steps.append("grayscale repeated into three RGB channels")
    if tuple(size) != tuple(new):
        ratio = "" if size[0] * new[1] == size[1] * new[0] else " (aspect ratio changed)"
        steps.append(f"resized bilinearly from {size[0]}x{size[1]} to {new[0]}x{new[1]} "
                     f"(height x width){ratio}")
    layout = {"none": "no channel axis", "channels_last": "channels last",
              "channels_first": "channels first"}[target.layout]
    steps.append(f"laid out as the model takes them: {_model_shape(target, *new)}, {layout}")
    return steps


# ---- image files ----------------------------------------------------------------------

def _image_files(folder: Path, exclude: Sequence[Path] = ()) -> list[Path]:
    """Image files under *folder*, by path; hidden files and folders and *exclude* skipped."""
    skip = [Path(e).resolve() for e in exclude]
    files = []
    for path in folder.rglob("*"):
        parts = path.relative_to(folder).parts
        if (path.suffix.lower() not in IMAGE_SUFFIXES or any(p.startswith(".") for p in parts)
                or not path.is_file()):
            continue
        if skip and any(path.resolve().is_relative_to(e) for e in skip):
            continue
        files.append(path)
    return sorted(files, key=lambda p: p.relative_to(folder).as_posix())


@contextlib.contextmanager
def _opened(func: str, name: str, path: Path, max_pixels: int):
    """Open an image file, refusing it by name if its header says it is above *max_pixels*.

    ``Image.open`` reads only the header. Pillow's own guard (an error above twice
    ``Image.MAX_IMAGE_PIXELS``, 179 million pixels, a warning above it) is turned off while
    it does, because interp checks against *max_pixels* instead, before any decoding.
    """
    from PIL import Image, UnidentifiedImageError

    saved = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = None
    try:
        image = Image.open(path)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as err:
        raise ImageError(f"{func}: {name}: {str(path)!r} is not an image Pillow can read "
                         f"({type(err).__name__}: {err})") from err
    finally:
        Image.MAX_IMAGE_PIXELS = saved
    with image:
        _check_pixels(func, name, image.size[1], image.size[0], max_pixels, repr(str(path)))
        yield image


def _scan(func: str, name: str, files: list[Path], quiet: bool,
          max_pixels: int = MAX_PIXELS) -> list[tuple[int, int, str]]:
    """Read every file's header: (width, height, mode); refuse files that are not images."""
    from ._progress import progress

    found = []
    for path in progress(files, desc="checking images", unit="file", total=len(files),
                         quiet=quiet):
        with _opened(func, name, path, max_pixels) as image:
            found.append((image.size[0], image.size[1], image.mode))
    return found


def _wide(mode: str) -> bool:
    """Whether Pillow's *mode* holds more than 8 bits a pixel (a 16-bit PNG: ``I;16``, ``I``)."""
    return mode.startswith("I")


def _decode(func: str, name: str, path: Path, channels: int, size: tuple[int, int],
            max_pixels: int = MAX_PIXELS, wide: bool = False) -> np.ndarray:
    """Read one image file as float pixels, (h, w) or (h, w, 3), resized to *size*.

    The values are the file's own: 0-255 for 8 bits, 0-65535 for 16 (never rounded to 8
    bits). With *wide*, 8-bit values are multiplied by 257, to 0-65535 as well.
    """
    from PIL import Image, UnidentifiedImageError

    height, width = size
    try:
        with _opened(func, name, path, max_pixels) as image:
            if _wide(image.mode):  # 16-bit pixels: kept as floats
                pixels = np.asarray(image, dtype=np.float32)
                if channels == 3:
                    pixels = np.repeat(pixels[..., np.newaxis], 3, axis=-1)
                return _resize(pixels[np.newaxis], height, width)[0]
            image = image.convert("L" if channels == 1 else "RGB")
            if image.size != (width, height):
                image = image.resize((width, height), Image.Resampling.BILINEAR)
            pixels = np.asarray(image, dtype=np.float32)
            return pixels * np.float32(257) if wide else pixels
    except (UnidentifiedImageError, OSError, ValueError) as err:
        if isinstance(err, ImageError):
            raise
        raise ImageError(f"{func}: {name}: {str(path)!r} is not an image Pillow can read "
                         f"({type(err).__name__}: {err})") from err


_MODE_CHANNELS = {"1": 1, "L": 1, "P": 3, "LA": 4, "PA": 4, "RGB": 3, "RGBA": 4, "RGBX": 4,
                  "CMYK": 4, "YCbCr": 3, "LAB": 3, "HSV": 3}


def _file_scaling(func: str, modes: list[str], scale) -> Scaling:
    wide = any(_wide(mode) for mode in modes)
    narrow = not all(_wide(mode) for mode in modes)
    if scale is not None and scale[0] is not None:
        bits = "16-bit" if wide else "8-bit"
        mixed = "; the 8-bit files' values multiplied by 257 first" if wide and narrow else ""
        return Scaling("given", scale[0], scale[1],
                       f"{bits} pixel values {_linear(*scale)} (as given: "
                       f"{_scale_words(func, scale)}{mixed})")
    target = (0.0, 1.0) if scale is None else scale[1]
    if not wide:
        return Scaling("type", (0.0, 255.0), target,
                       f"8-bit pixel values {_linear((0.0, 255.0), target)} (the range of 8-bit "
                       "PNG and JPEG files)")
    mixed = ("; the 8-bit files' values multiplied by 257 to the same range" if narrow
             else "")
    return Scaling("type", (0.0, 65535.0), target,
                   f"16-bit pixel values {_linear((0.0, 65535.0), target)} (the range of 16-bit "
                   f"PNG files{mixed}; for 12-bit data say so, e.g. "
                   f"{_scale_words(func, ((0, 4095), target))})")


def _file_images(func: str, name: str, source: Source, target: Target, scale) -> ImageSet:
    root, files, kind, headers = source.root, source.files, source.kind, source.headers
    max_pixels = source.max_pixels
    sizes = {(h, w) for w, h, _ in headers}
    modes = sorted({mode for _, _, mode in headers})
    first_h, first_w = headers[0][1], headers[0][0]
    height = target.height if target.height is not None else first_h
    width = target.width if target.width is not None else first_w
    scaling = _file_scaling(func, modes, scale)
    wide = any(_wide(mode) for mode in modes)
    folder = root if kind == "folder" else root.parent
    names = [p.relative_to(folder).as_posix() for p in files]

    def read(indices: np.ndarray) -> np.ndarray:
        return np.stack([_decode(func, name, files[i], target.channels, (height, width),
                                 max_pixels, wide)
                         for i in indices]) if len(indices) else np.zeros(
            (0, height, width, *(() if target.channels == 1 else (3,))), np.float32)

    where = f"from the folder {str(root)!r}" if kind == "folder" else f"from {str(root)!r}"
    if len(sizes) == 1:
        size_words = f"all {first_h}x{first_w}"
    else:
        hs = [h for h, _ in sizes]
        ws = [w for _, w in sizes]
        size_words = (f"sizes from {min(hs)}x{min(ws)} to {max(hs)}x{max(ws)} "
                      "(height x width)")
    conversion = [f"{len(files):,} image files {where} ({size_words}; Pillow modes "
                  f"{', '.join(modes)})"]
    channel_counts = {_MODE_CHANNELS.get(mode, 1) for mode in modes}
    for count in sorted(channel_counts):
        conversion += _steps(count, target.channels, (0, 0), (0, 0), target)[:-1]
    for size in sorted(sizes):
        if size != (height, width):
            conversion.append(f"resized bilinearly to {height}x{width} (height x width; "
                              f"{sum(1 for w, h, _ in headers if (h, w) != (height, width)):,} "
                              "images)")
            break
    if target.height is None:
        conversion.append(f"the model takes any size: all images made {height}x{width}, the "
                          "size of the first")
    conversion.append(f"laid out as the model takes them: "
                      f"{_model_shape(target, height, width)}")
    conversion.append(scaling.text)
    return ImageSet(source=root, kind=kind, names=names, read=read, target=target,
                    model_shape=_model_shape(target, height, width), scaling=scaling,
                    conversion=_unique(conversion), origin=source.origin)


def _unique(items: list[str]) -> list[str]:
    seen: list[str] = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen


# ---- the entry point --------------------------------------------------------------------

@dataclasses.dataclass
class Source:
    """Images found and checked, not yet converted: what :func:`read_source` returns."""

    kind: str  # "folder", "image", "npy", "npz" or "array"
    root: Path | None
    described: str
    array: np.ndarray | None = None
    files: list[Path] = dataclasses.field(default_factory=list)
    headers: list[tuple[int, int, str]] = dataclasses.field(default_factory=list)
    origin: str | None = None
    max_pixels: int = MAX_PIXELS

    def __len__(self) -> int:
        return len(self.array) if self.array is not None else len(self.files)


def read_source(func: str, name: str, path: object, *, max_images: int | None = None,
                key: str | None = None, quiet: bool = True, described: str = "given as an array",
                origin: str | None = None, exclude: Sequence[Path] = (),
                max_pixels: int = MAX_PIXELS) -> Source:
    """Find the images at *path* and check that they are images, without a model.

    Image files have their headers read (so a file that is not an image, or one larger
    than *max_pixels*, is refused before any work); a ``.npy`` is memory-mapped, a ``.npz``
    array read. Hidden files and folders in a folder are skipped, and so is anything under
    *exclude* (the report being written, when it lies inside the folder of images). *func*
    and *name* appear in the messages.
    """
    if max_images is not None:
        max_images = check_int(func, _option(func, "max_images"), max_images, minimum=1)
    max_pixels = check_int(func, _option(func, "max_pixels"), max_pixels, minimum=1)
    if isinstance(path, np.ndarray):
        array = path[:max_images] if max_images else path
        return Source("array", None, described, array=_check_array(func, name, array, described),
                      origin=origin, max_pixels=max_pixels)
    if not isinstance(path, (str, Path)):
        raise TypeError(f"{func}: {name} must be a path to a folder of images or a .npy/.npz "
                        f"file, or an array, got {describe(path)}")
    root = Path(path).expanduser()
    if not root.exists():
        raise ImageError(f"{func}: {name}: no such file or folder: {str(root)!r}")
    suffix = root.suffix.lower()
    if root.is_dir() or suffix in IMAGE_SUFFIXES:
        files = _image_files(root, exclude) if root.is_dir() else [root]
        if not files:
            raise ImageError(f"{func}: {name}: the folder {str(root)!r} holds no PNG or JPEG "
                             f"files (looked for {', '.join(IMAGE_SUFFIXES)}, in subfolders "
                             "too)")
        files = files[:max_images] if max_images else files
        kind = "folder" if root.is_dir() else "image"
        headers = _scan(func, name, files, quiet, max_pixels)
        return Source(kind, root, "", files=files, headers=headers, origin=origin,
                      max_pixels=max_pixels)
    if suffix == ".npy":
        try:
            array = np.load(root, mmap_mode="r", allow_pickle=False)
        except (ValueError, OSError) as err:
            raise ImageError(f"{func}: {name}: {str(root)!r} is not a .npy array numpy can "
                             f"read ({type(err).__name__}: {err})") from err
        array = array[:max_images] if max_images else array
        text = f"from {root.name} (memory-mapped)"
        return Source("npy", root, text, array=_check_array(func, name, array, text),
                      origin=origin, max_pixels=max_pixels)
    if suffix == ".npz":
        try:
            archive = np.load(root, allow_pickle=False)
        except (ValueError, OSError, zipfile.BadZipFile) as err:
            raise ImageError(f"{func}: {name}: {str(root)!r} is not a .npz archive numpy can "
                             f"read ({type(err).__name__}: {err})") from err
        with archive:
            keys = list(archive.files)
            if key is None:
                chosen = [k for k in ("images", "x", "x_test") if k in keys]
                if len(keys) == 1:
                    key = keys[0]
                elif chosen:
                    key = chosen[0]
                else:
                    raise ImageError(f"{func}: {name}: {str(root)!r} holds several arrays "
                                     f"{keys}; say which one holds the images: "
                                     f"{_option(func, 'key')}"
                                     f"{' NAME' if func.startswith('interp ') else '=NAME'}")
            if key not in keys:
                raise ImageError(f"{func}: {name}: {str(root)!r} has no array {key!r}; it "
                                 f"holds {keys}")
            try:
                array = archive[key]
            except (ValueError, OSError) as err:
                raise ImageError(f"{func}: {name}: array {key!r} of {str(root)!r} cannot be "
                                 f"read ({type(err).__name__}: {err})") from err
        array = array[:max_images] if max_images else array
        text = f"from {root.name}[{key!r}] (read whole: a .npz cannot be memory-mapped)"
        return Source("npz", root, text, array=_check_array(func, name, array, text),
                      origin=origin)
    raise ImageError(f"{func}: {name}: {str(root)!r} is neither a folder of images, a "
                     f"{'/'.join(IMAGE_SUFFIXES)} file, nor a .npy/.npz array")


def _check_array(func: str, name: str, array: np.ndarray, described: str) -> np.ndarray:
    if array.dtype.kind not in "iuf" or array.ndim < 2:
        raise ImageError(f"{func}: {name} must be an array of images (integer or float "
                         f"pixels, one image per row), got {described}: {describe(array)}")
    if len(array) == 0:
        raise ImageError(f"{func}: {name} holds no images: {describe(array)}")
    return array


def convert(func: str, name: str, source: Source, spec, *, scale: object = None) -> ImageSet:
    """Return the images of *source* as an :class:`ImageSet` converted for *spec*."""
    scale = parse_scale(func, _option(func, "scale"), scale)
    target = _target(func, spec)
    if source.array is not None:
        return _array_images(func, name, source.array, source.root, source.kind, target, spec,
                             scale, source.described, origin=source.origin,
                             max_pixels=source.max_pixels)
    if target is None:
        raise ImageError(
            f"{func}: {name}: image files cannot be converted to what this model takes, "
            f"{spec.batch()}: interp converts images for models that take 2-D grayscale "
            "or RGB images; pass a .npy array shaped as the model takes it instead"
        )
    return _file_images(func, name, source, target, scale)


def open_images(func: str, name: str, path: object, spec, *, scale: object = None,
                max_images: int | None = None, key: str | None = None,
                quiet: bool = True, described: str = "given as an array",
                origin: str | None = None, max_pixels: int = MAX_PIXELS) -> ImageSet:
    """:func:`load_images` for any caller: *func* and *name* appear in the messages.

    *described* says where an array passed in memory comes from, for the conversion text,
    and *origin* names it in a few words.
    """
    scale = parse_scale(func, _option(func, "scale"), scale)
    source = read_source(func, name, path, max_images=max_images, key=key, quiet=quiet,
                         described=described, origin=origin, max_pixels=max_pixels)
    return convert(func, name, source, spec, scale=scale)


def load_images(
    path: str | Path | np.ndarray,
    model: object,
    *,
    scale: Sequence[float] | Sequence[Sequence[float]] | str | None = None,
    max_images: int | None = None,
    key: str | None = None,
    max_pixels: int = MAX_PIXELS,
) -> ImageSet:
    """Read images from a folder or an array file, converted to what *model* takes.

    Parameters
    ----------
    path : str, pathlib.Path or numpy.ndarray
        A folder of PNG/JPEG files (subfolders included, sorted by path), one image file,
        a ``.npy`` file (memory-mapped) or a ``.npz`` archive; or an array of images.
    model : keras.Model
        The model the images are for: its input spec decides the channels (grayscale or
        RGB), size and layout.
    scale : (low, high), ((from_low, from_high), (low, high)), or the same as a string
        How the pixel values become the model's input, linearly. The rule, stated in
        ``images.scaling`` and ``images.conversion``:

        - default: the range of the pixels' type becomes 0-1. That is 0-255 for 8-bit
          files and ``uint8`` arrays, 0-65535 for 16-bit PNG files and ``uint16`` arrays
          (12-bit data in 16 bits then runs 0-0.0625: say ``((0, 4095), (0, 1))``);
        - ``(low, high)`` (``"low,high"``): that range becomes *low*-*high* instead;
        - ``((from_low, from_high), (low, high))`` (``"from_low,from_high:low,high"``):
          the values *from_low*-*from_high* become *low*-*high*;
        - float arrays are used as they are, unless a scale is given (then ``(low,
          high)`` takes them to run 0-255);
        - other integer arrays (signed, or ``uint32``/``uint64``: 12-bit data in
          ``int32``, say) have no range that says what is black and white, and are refused
          unless the scale gives *from_low* and *from_high*. The refusal names the data's
          smallest and largest values.
    max_images : int, optional
        Use only the first this many images.
    key : str, optional
        Which array of a ``.npz`` archive; default its only array, or the one named
        ``images``, ``x`` or ``x_test``.
    max_pixels : int, default MAX_PIXELS (64,000,000)
        The largest image read, in pixels (height x width). A file whose header says it
        is larger is refused, by name, before it is decoded (and so is an array of
        larger images).

    Returns
    -------
    ImageSet
        A lazy sequence: ``images[a:b]`` is a float32 batch shaped as the model takes it,
        ``images.batches(256)`` streams them all, ``images.conversion`` says what was
        done and ``images.scaling`` which scaling rule was used. Pass
        ``images.batches(...)`` to :func:`interp.top_activating` or an attribution method
        to stream a large set through it.

    Raises
    ------
    ValueError
        If the path does not exist or holds no images, a file is not an image or is
        larger than *max_pixels*, an array is not images, an integer array has no range
        of its own and no scale says which values become what, or the images cannot be
        converted to what the model takes (a model that does not take 2-D grayscale or
        RGB images, when the array is not already shaped as it takes them).
    TypeError
        If *path* or *scale* is of the wrong kind.

    Examples
    --------
    >>> import numpy as np
    >>> import interp
    >>> from interp.images import load_images
    >>> model = interp.build_model()                      # takes (28, 28, 1), 0-1
    >>> pixels = np.full((5, 56, 56, 3), 255, np.uint8)   # white RGB images, twice the size
    >>> images = load_images(pixels, model)
    >>> images.shape, float(images[0:2].max())
    ((5, 28, 28, 1), 1.0)
    >>> for step in images.conversion[1:]:
    ...     print(step)
    RGB converted to grayscale (0.299 R + 0.587 G + 0.114 B, as Pillow's L)
    resized bilinearly from 56x56 to 28x28 (height x width)
    laid out as the model takes them: (28, 28, 1), channels last
    uint8 pixel values 0-255 scaled linearly to 0-1 (the range of uint8)
    >>> images.scaling.rule, images.scaling.source, images.scaling.target
    ('type', (0.0, 255.0), (0.0, 1.0))
    >>> twelve_bit = np.full((2, 28, 28), 4095, np.int32)     # 12-bit data in int32
    >>> images = load_images(twelve_bit, model, scale=((0, 4095), (0, 1)))
    >>> float(images[0:1].max()), images.scaling.rule
    (1.0, 'given')

    """
    from ._model import input_spec

    func = "load_images"
    spec = input_spec(func, model)
    return open_images(func, "path", path, spec, scale=scale, max_images=max_images, key=key,
                       max_pixels=max_pixels)
