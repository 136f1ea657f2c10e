"""argparse's own words, in French for `entbot --help` and its errors."""

from __future__ import annotations

# -- argparse's own words, in French for `entbot --help` and its errors --------------------------------

__all__ = [  # what the package exports as it is (not translated)
    "ARGPARSE",
]

ARGPARSE = {
    "usage: ": "utilisation : ",
    "positional arguments": "arguments",
    "options": "options",
    "show this help message and exit": "afficher cette aide et quitter",
    "%(prog)s: error: %(message)s\n": "%(prog)s : erreur : %(message)s\n",
    "the following arguments are required: %s": "arguments obligatoires manquants : %s",
    "invalid choice: %(value)r (choose from %(choices)s)": "choix invalide : %(value)r (au choix : %(choices)s)",
    "unrecognized arguments: %s": "arguments non reconnus : %s",
    "expected one argument": "une valeur est attendue",
    "expected at most one argument": "une valeur au plus est attendue",
    "expected at least one argument": "au moins une valeur est attendue",
    "ambiguous option: %(option)s could match %(matches)s": "option ambiguë : %(option)s peut être %(matches)s",
    "argument %(argument_name)s: %(message)s": "argument %(argument_name)s : %(message)s",
    "invalid %(type)s value: %(value)r": "valeur %(type)s invalide : %(value)r",
    "not allowed with argument %s": "incompatible avec l'argument %s",
    "one of the arguments %s is required": "un des arguments %s est obligatoire",
    "ignored explicit argument %r": "argument explicite ignoré : %r",
    "unknown parser %(parser_name)r (choices: %(choices)s)": "commande inconnue %(parser_name)r (au choix : %(choices)s)",
    "expected %s argument": "%s valeur attendue",
    "expected %s arguments": "%s valeurs attendues",
}
