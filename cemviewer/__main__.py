from cemviewer.cli import main

raise SystemExit(main())
