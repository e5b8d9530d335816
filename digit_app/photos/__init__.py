"""Photos of writing on paper: the sheet found and straightened, ruled lines removed, lines of writing split and read.

`sheet` finds the sheet in a photo (the largest bright quadrilateral) and straightens it; `ink`
evens out the light and finds the ink; `ruling` removes the printed lines of ruled or squared
paper; `lines` levels the writing and splits it into lines, top to bottom; `line_reader` reads a
line whole (a CTC network), trained on lines `synthetic` composes. `digit_app.photo.read_photo`
puts them together for the Photo page.
"""
