# The evaluation domains: the files the shipped model was trained on, whose held-out tails (the last 10% of each)
# the scripts here score. call_of_the_wild.txt and devils_dictionary.txt have since left ../shared/corpora/train
# (see ../shared/corpora/MANIFEST.md).
# Sourced by evaluate.sh and precision_guard.sh, with C set to the corpora folder.
PROSE="$C/tinyshakespeare.txt $C/prose_books/adventures_of_sherlock_holmes.txt $C/prose_books/anne_of_green_gables.txt $C/prose_books/pride_and_prejudice.txt $C/prose_jargon_file.txt"
DOCS="$C/docs_python311_rst.txt $C/docs_swift_book_md.txt $C/docs_swift_packages_md.txt"
PYTHON="$C/code_python311_stdlib.txt"
SWIFT="$C/code_swift_argument_parser.txt $C/code_swift_algorithms.txt $C/code_swift_collections.txt"
export PROSE DOCS PYTHON SWIFT
