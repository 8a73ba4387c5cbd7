"""The deployable AWS stack (CDK, Python) for the texting backend.

``infra/app.py`` is the CDK entry point; ``stages.py`` holds the operator's
flags per stage, ``permissions.py`` what each Lambda function may touch and
``stack.py`` composes the parts in ``parts/`` (data, messaging, auth, the
Chalice app, IAM, monitoring) into one CloudFormation stack. The package is
importable from the repository root so tests can synthesize it in-process.
"""
