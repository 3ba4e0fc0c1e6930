from monthlypost.main import run

run()
