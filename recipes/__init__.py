"""The task recipes of `zoo train TASK` (classification, translation, summarization, mlm, clm) and the `zoo` CLI.

`recipes` sits above the library: it imports `zoo`, and `zoo` never imports it. A recipe's
module (and Keras) is imported on first `get_recipe`, so the CLI can pick the Keras backend first.

Example:

    from recipes import get_recipe
    recipe = get_recipe("translation")
    recipe.families
    ('lstm', 'transformer', 'gpt')
"""

import importlib

# task -> (module, recipe class)
RECIPES = {
    "classification": ("recipes.classification", "Classification"),
    "translation": ("recipes.translation", "Translation"),
    "summarization": ("recipes.summarization", "Summarization"),
    "mlm": ("recipes.pretraining", "MaskedLM"),
    "clm": ("recipes.pretraining", "CausalLM"),
}
TASKS = tuple(RECIPES)
_INSTANCES = {}


def get_recipe(task):
    """The recipe of `task`; `ValueError` listing the tasks if unknown."""
    if task not in RECIPES:
        raise ValueError(f"Unknown task {task!r}; the tasks are {', '.join(TASKS)}.")
    if task not in _INSTANCES:
        module, class_name = RECIPES[task]
        _INSTANCES[task] = getattr(importlib.import_module(module), class_name)()
    return _INSTANCES[task]
