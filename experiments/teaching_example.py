"""The teaching example of the notes: y = (x + w) * (w + 1) at x = 2, w = 1, differentiated both ways.

    $ python experiments/teaching_example.py
    y = 6.0
    reverse mode (one backward sweep):        dy/dw = 5.0, dy/dx = 2.0
    forward mode (one sweep per input):       dy/dw = 5.0, dy/dx = 2.0
"""

import numpy as np

import admodes as ad


def y_of(x, w):
    a = x + w
    b = w + 1
    return a * b


def main():
    x, w = ad.tensor(2.0, requires_grad=True), ad.tensor(1.0, requires_grad=True)
    y = y_of(x, w)
    y.backward()
    print(f"y = {float(y.data)}")
    print(f"reverse mode (one backward sweep):        dy/dw = {float(w.grad.data)}, dy/dx = {float(x.grad.data)}")
    dx, dw = ad.grad(y_of, argnums=(0, 1), mode="forward")(np.array(2.0), np.array(1.0))
    print(f"forward mode (one sweep per input):       dy/dw = {float(dw)}, dy/dx = {float(dx)}")


if __name__ == "__main__":
    main()
