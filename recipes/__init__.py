"""The task recipes of `zoo train TASK`: classification, translation, summarization, mlm, clm.

Example:

    from recipes import get_recipe
    recipe = get_recipe("translation")
    recipe.families
    ('lstm', 'transformer', 'gpt')
"""

from recipes.classification import Classification
from recipes.pretraining import CausalLM, MaskedLM
from recipes.summarization import Summarization
from recipes.translation import Translation

RECIPES = {recipe.task: recipe for recipe in (Classification(), Translation(), Summarization(), MaskedLM(), CausalLM())}
TASKS = tuple(RECIPES)


def get_recipe(task):
    """The recipe of `task`; `ValueError` listing the tasks if unknown."""
    if task not in RECIPES:
        raise ValueError(f"Unknown task {task!r}; the tasks are {', '.join(TASKS)}.")
    return RECIPES[task]
