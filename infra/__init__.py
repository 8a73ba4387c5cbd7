"""The deployable AWS stack (CDK, Python) for the texting backend.

``infra/app.py`` is the CDK entry point; ``stages.py`` holds the operator's
flags per stage, ``permissions.py`` what each Lambda function may touch and
``stack.py`` composes the parts in ``parts/`` (data, messaging, auth, the
Chalice app, IAM, API edge, monitoring) into one CloudFormation stack;
``scanner.py`` holds the checkov findings it accepts, ``admin.py`` is the
operator tool and ``deploy_check.py`` lints ``docs/deploy.md``. The package is
importable from the repository root so tests can synthesize it in-process.
"""
