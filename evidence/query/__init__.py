"""Query understanding for the search: parsing, expansion (compounds, thesaurus), typo correction, quality."""
