"""The SCIM 2.0 side of scimpolicy: schemas, models, filters, PATCH and the directory.

This sub-package never imports :mod:`scimpolicy.policy`; policy code reads users and
groups from it.
"""
