"""Gut microbiome profiles: BIOM and TSV tables, diversity (scikit-bio), taxa flags against cited cohorts."""
