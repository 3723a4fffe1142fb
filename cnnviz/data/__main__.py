"""``python -m cnnviz.data status`` and ``python -m cnnviz.data fetch NAME|all``: see cnnviz.data.cli."""

from cnnviz.data.cli import main

raise SystemExit(main())
