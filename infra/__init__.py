"""The deployable AWS stack (CDK, Python) for the texting backend.

``infra/app.py`` is the CDK entry point; ``stages.py`` holds the operator's
flags per stage, ``permissions.py`` what each Lambda function may touch and
``stack.py`` turns ``chalicelib.resources`` plus the Chalice app into one
CloudFormation stack. The package is importable from the repository root so
tests can synthesize the stack in-process.
"""
