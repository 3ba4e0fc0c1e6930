from monthlypost.cli import cli

cli(prog_name="monthlypost")
