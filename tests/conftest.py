import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

import tangentlike.specialize  # noqa: E402

# A version specialized to argument shapes that fails to derive is a bug: raise it here
# (users get the generic derivative instead).
tangentlike.specialize.STRICT = True
