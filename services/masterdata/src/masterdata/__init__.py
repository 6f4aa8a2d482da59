"""masterdata: locations, charge points, users and tokens; the local identity provider of charge points."""
