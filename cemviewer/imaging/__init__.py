"""Display maths for mammograms: windowing, pixel geometry, readouts, thumbnails. No Qt in this package."""
