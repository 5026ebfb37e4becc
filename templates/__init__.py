"""The site's templates and assets, shipped inside the wheel as ``goalsrepo.templates``
(see goalsrepo/web/site.py)."""
