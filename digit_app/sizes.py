"""Plain sizes and constants the whole app agrees on (no imports): one place to read or change each."""

MNIST_SIDE = 28  # a model input is MNIST_SIDE x MNIST_SIDE pixels
MNIST_SHAPE = (MNIST_SIDE, MNIST_SIDE)
INPUT_SHAPE = (MNIST_SIDE, MNIST_SIDE, 1)  # what the pixel CNN takes, one channel
NUM_CLASSES = 10  # the digits 0 to 9
LABEL_SMOOTHING = 0.05  # a little doubt in the targets of every network trained here: steadier on unusual drawings
CANVAS_SIZE = 280  # the Draw page's square canvas for one digit, in pixels
ZOOM = 5  # a 28x28 model input is shown 5x enlarged on the pages, pixel for pixel
NUMBER_CANVAS = (560, 200)  # the Draw page's canvas for a whole number (width, height): what the segment judge learnt
