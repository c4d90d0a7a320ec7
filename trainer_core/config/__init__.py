"""YAML -> validated spec -> Experiment: configs, the ``hooks:`` section, pipelines as data,
the hook/model/data registry, and the offline datasets and models a config can name.

Importing this package is free; each module imports what it needs (torch only where a model
or dataset is built)."""
