from helpline.cli import app

app(prog_name="helpline")
