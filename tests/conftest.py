import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

import tangentlike.specialize  # noqa: E402

# A version specialized to argument shapes that fails to derive is a bug: raise it here
# (users get the generic derivative instead). STRICT also derives a version at the first
# call with new argument kinds, which users get at the second (tiering: test_tiering.py),
# so that the tests check the version from the first call on.
tangentlike.specialize.STRICT = True
