"""The bike shop: a polynom-dal demo with owners and bikes.

- :mod:`~examples.bikeshop.models` -- the schemas and models (a relationship);
- :mod:`~examples.bikeshop.services` -- the DAL services (``ctx.dal.bikes.reprice(...)``);
- :mod:`~examples.bikeshop.web` -- the site: the JSON API (FastAPI) at ``/api``;
- :mod:`~examples.bikeshop.admin` -- the admin for people, at ``/``;
- :mod:`~examples.bikeshop.tasks` -- the Celery task (a bulk reprice);
- :mod:`~examples.bikeshop.seed` -- sample data.

``python -m examples.bikeshop`` starts the site on ``bikeshop.db`` and prints its address.
"""
