from goalsrepo.cli import main

main()
