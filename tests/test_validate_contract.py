"""The argument checks every public function relies on (interp._validate), each with its
exact message: "<function>: <argument> must be <allowed>, got <given>".

Written from the mutation audit of issue #9: several branches (an upper bound, a strict
lower bound, labels of the wrong kind) are used by few or no public functions yet.
"""

import keras
import numpy as np
import pytest

from interp import _validate as v


def test_describe():
    assert v.describe(np.zeros((2, 3), np.int8)) == "an array of shape (2, 3) and dtype int8"
    assert v.describe("abc") == "'abc' (str)"
    long = "x" * 100
    assert v.describe(long) == "'" + "x" * 56 + "... (str)"
    assert len(v.describe(list(range(100)))) == 60 + len(" (list)")


def test_check_int():
    assert v.check_int("f", "n", np.int16(3)) == 3 and type(v.check_int("f", "n", np.int16(3))) is int
    assert v.check_int("f", "n", 5, minimum=5) == 5
    with pytest.raises(ValueError, match=r"^f: n must be an int >= 5, got 4$"):
        v.check_int("f", "n", 4, minimum=5)
    for bad in (True, 2.0, "2", None):
        with pytest.raises(TypeError, match=r"^f: n must be an int, got "):
            v.check_int("f", "n", bad)


@pytest.mark.parametrize(("kwargs", "good", "bad", "wanted"), [
    ({}, [-1e9, 0.0, 7], [], "a finite number"),
    ({"minimum": 0.0}, [0.0, 2.5], [-0.1], "a finite number >= 0"),
    ({"minimum": 0.0, "strict_minimum": True}, [1e-9], [0.0, -1.0], "a finite number > 0"),
    ({"maximum": 1.5}, [1.5, -3.0], [1.6], "a finite number <= 1.5"),
    ({"minimum": 0.0, "maximum": 1.0}, [0.0, 1.0], [-0.5, 1.5], "a finite number >= 0 and <= 1"),
])
def test_check_number_bounds(kwargs, good, bad, wanted):
    for value in good:
        assert v.check_number("f", "x", value, **kwargs) == float(value)
    for value in [*bad, float("nan"), float("inf")]:
        with pytest.raises(ValueError, match=rf"^f: x must be {wanted}, got "):
            v.check_number("f", "x", value, **kwargs)
    for value in (True, "1", None, 1j):
        with pytest.raises(TypeError, match=r"^f: x must be a number, got "):
            v.check_number("f", "x", value, **kwargs)


def test_check_pair():
    assert v.check_pair("f", "s", 2) == (2, 2)
    assert v.check_pair("f", "s", (1, 3)) == (1, 3)
    assert v.check_pair("f", "s", [4, 5]) == (4, 5)
    assert v.check_pair("f", "s", (0, 0), minimum=0) == (0, 0)
    with pytest.raises(ValueError, match=r"^f: s must be an int or a pair of ints, got \(1, 2, 3\)"):
        v.check_pair("f", "s", (1, 2, 3))
    with pytest.raises(ValueError, match=r"^f: s must be an int >= 1, got 0$"):
        v.check_pair("f", "s", (2, 0))
    with pytest.raises(ValueError, match=r"^f: s must be an int >= 1, got 0$"):
        v.check_pair("f", "s", 0)
    for bad in (True, 1.5, "2", None):
        with pytest.raises(TypeError, match=r"^f: s must be an int or a pair of ints, got "):
            v.check_pair("f", "s", bad)
    with pytest.raises(TypeError, match=r"^f: s must be an int, got 1.5"):
        v.check_pair("f", "s", (1, 1.5))


def test_check_labels():
    assert v.check_labels("f", "t", ("a", "b")) == ["a", "b"]
    assert v.check_labels("f", "t", np.array(["a", "b", "c"]), 3) == ["a", "b", "c"]
    with pytest.raises(TypeError, match=r"^f: t must be a sequence of 2 strings, got 'ab' \(str\)"):
        v.check_labels("f", "t", "ab", 2)
    with pytest.raises(TypeError, match=r"^f: t must be a sequence of strings, got 3 \(int\)"):
        v.check_labels("f", "t", 3)
    with pytest.raises(ValueError, match=r"^f: t must have 3 entries, got 2$"):
        v.check_labels("f", "t", ["a", "b"], 3)
    with pytest.raises(TypeError, match=r"^f: t must hold strings, got \['a', 2\] \(list\)"):
        v.check_labels("f", "t", ["a", 2])


def test_check_bool_text_choice():
    assert v.check_bool("f", "b", np.bool_(True)) is True
    assert v.check_bool("f", "b", None, allow_none=True) is None
    with pytest.raises(TypeError, match=r"^f: b must be True or False, got None"):
        v.check_bool("f", "b", None)
    with pytest.raises(TypeError, match=r"^f: b must be True, False or None, got 1 \(int\)"):
        v.check_bool("f", "b", 1, allow_none=True)
    assert v.check_text("f", "t", None) is None and v.check_text("f", "t", "x") == "x"
    with pytest.raises(TypeError, match=r"^f: t must be a string or None, got 3 \(int\)"):
        v.check_text("f", "t", 3)
    assert v.check_choice("f", "p", "same", ("valid", "same")) == "same"
    with pytest.raises(ValueError, match=r"^f: p must be 'valid' or 'same', got 'full' \(str\)"):
        v.check_choice("f", "p", "full", ("valid", "same"))
    with pytest.raises(ValueError, match=r"^f: p must be 'valid' or 'same', got 1 \(int\)"):
        v.check_choice("f", "p", 1, ("valid", "same"))


def test_check_index():
    assert [v.check_index("f", "i", i, 3, "kernels") for i in (-3, -1, 0, 2)] == [0, 2, 0, 2]
    with pytest.raises(IndexError, match=r"^f: i=3 is out of range for 3 kernels; allowed -3..2$"):
        v.check_index("f", "i", 3, 3, "kernels")
    with pytest.raises(IndexError, match=r"^f: i=-4 is out of range for 3 kernels; allowed -3..2$"):
        v.check_index("f", "i", -4, 3, "kernels")


def test_as_real_array():
    assert v.as_real_array("f", "a", [1, 2]).dtype == np.float32
    assert v.as_real_array("f", "a", np.array([True])).dtype == np.float32
    assert v.as_real_array("f", "a", np.array([1], np.uint8)).dtype == np.float32
    assert v.as_real_array("f", "a", np.array([1.0], np.float64)).dtype == np.float64
    assert v.as_real_array("f", "a", np.array([1.0], np.float16)).dtype == np.float16
    with pytest.raises(TypeError, match=r"^f: a must hold real numbers \(integer or floating "
                                        r"dtype\), got an array of shape \(1,\) and dtype complex"):
        v.as_real_array("f", "a", np.array([1j]))
    with pytest.raises(TypeError, match=r"^f: a must be array-like, got "):
        v.as_real_array("f", "a", [[1, 2], [3]])
    with pytest.raises(ValueError, match=r"^f: a must not be empty, got an array of shape \(0, 2\)"):
        v.as_real_array("f", "a", np.zeros((0, 2)))
    with pytest.raises(ValueError, match=r"^f: a must be finite, got an array of shape \(4,\) and "
                                         r"dtype float64 with 2 NaN or inf values$"):
        v.as_real_array("f", "a", [1.0, np.nan, np.inf, 2.0])


def test_as_2d():
    np.testing.assert_array_equal(v.as_2d("f", "k", np.ones((2, 3, 1)), "2-D"), np.ones((2, 3)))
    assert v.as_2d("f", "k", np.ones((2, 3)), "2-D").shape == (2, 3)
    with pytest.raises(ValueError, match=r"^f: k must be 2-D, got an array of shape \(2, 3, 2\)"):
        v.as_2d("f", "k", np.ones((2, 3, 2)), "2-D")
    with pytest.raises(ValueError, match=r"^f: k must be 2-D, got an array of shape \(3,\)"):
        v.as_2d("f", "k", np.ones(3), "2-D")
    layer = keras.layers.Conv2D(2, 3, name="conv9")
    with pytest.raises(TypeError, match=r"^f: k must be an array, got the Conv2D layer 'conv9'; "
                                        r"pass one of its kernels, e\.g\. interp\.kernel"):
        v.as_2d("f", "k", layer, "2-D")
