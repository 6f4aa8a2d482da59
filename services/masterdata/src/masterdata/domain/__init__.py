"""masterdata's pure rules: what a valid location, charge point, user and token look like.

Nothing here does I/O; the API validates bodies with these rules and the repository stores what passed.
"""
