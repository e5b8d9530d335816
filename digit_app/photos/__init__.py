"""Photos of writing on paper: the sheet found and straightened, ruled lines removed, lines of writing split.

`sheet` finds the sheet in a photo (the largest bright quadrilateral) and straightens it; `ruling`
removes the printed lines of ruled or squared paper; `lines` levels the writing and splits it into
lines, top to bottom. `digit_app.photo.read_photo` puts them together for the Photo page.
"""
